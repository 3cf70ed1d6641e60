import ArgumentParser
import VicinityPipeline

extension Vicinity.Embed {
    func validate() throws {
        if (model == nil) == (vectors == nil) {
            throw ValidationError("give --model (with --data or --images) or --vectors")
        }
        if vectors != nil && (images != nil || data != nil || split != nil) {
            throw ValidationError("--vectors are the codes themselves: no --data, --images or --split")
        }
        if vectors == nil && ids != nil { throw ValidationError("--ids goes with --vectors") }
        if model != nil && ItemEncoder.BitsChoice(rawValue: bits) == nil {
            throw ValidationError("--bits must be auto, threshold or none with --model, got '\(bits)'")
        }
        if [images, data, documents].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one input: --data, --images or --documents")
        }
        if documents != nil && (vectors != nil || split != nil) {
            throw ValidationError("--documents are embedded by a model: no --vectors or --split")
        }
        if images == "-" && labels != nil {
            throw ValidationError("--images - carries its labels in each line; no --labels")
        }
        if let idPrefix, idPrefix.contains(where: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            throw ValidationError("--id-prefix cannot hold spaces")
        }
        if images == nil && vectors == nil && labels != nil {
            throw ValidationError("--labels goes with --images or --vectors")
        }
        if images != nil && split != nil { throw ValidationError("--split goes with --data") }
        if let perturbed, perturbed < 1 || images != nil || documents != nil || split != nil {
            throw ValidationError(
                "--perturbed N needs N ≥ 1 and --data (its training images), not --images or --split")
        }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
    }
}
