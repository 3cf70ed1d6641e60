import ArgumentParser
import VicinityData
import VicinityLearning
import VicinityPipeline

// Library types that options take by name.
extension ItemEncoder.BitsChoice: ExpressibleByArgument {}
extension ImageFit: ExpressibleByArgument {}
extension EmbedSplit: ExpressibleByArgument {}
extension Recipe: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {}
extension ReconstructionLoss: ExpressibleByArgument {}
extension NCA.Variant: ExpressibleByArgument {}
extension TrainingSettings.OptimizerKind: ExpressibleByArgument {}
extension EmbedPartition: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}
