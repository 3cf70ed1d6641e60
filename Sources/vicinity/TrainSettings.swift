import ArgumentParser
import VicinityLearning

extension Vicinity.Train {
    /// The recipe's defaults with every option given laid over them, checked.
    func makeSettings(inputDims: Int) throws -> TrainingSettings {
        var s = recipe.defaults(inputDims: inputDims)
        if let layers { s.sizes = [inputDims] + (try parseSizes(layers, option: "--layers")) }
        if let code { s.sizes[s.sizes.count - 1] = code }
        if let bits {
            guard bits >= 1 && bits <= 1024 else { throw ValidationError("--bits must be in 1...1024") }
            s.sizes[s.sizes.count - 1] = bits
        }
        if let headBits { s.headBits = headBits }
        if let headNoise { s.headNoise = headNoise }
        if let headInputNoise { s.headInputNoise = headInputNoise }
        if let headHidden { s.headHidden = try parseSizes(headHidden, option: "--head-hidden", allowNone: true) }
        if headFor != nil && s.headBits == 0 { s.headBits = headBits ?? 64 }
        if let hidden { s.hidden = hidden }
        if let codeUnits { s.codeActivation = codeUnits }
        if let epochs {
            s.epochs = epochs
            if case .cosine = s.schedule { s.schedule = .cosine(epochs: epochs) }
        }
        if let batch { s.batch = batch }
        if let learningRate { s.learningRate = learningRate }
        if let optimizer { s.optimizer = optimizer }
        if let momentum { s.momentum = momentum }
        if let schedule { s.schedule = try parseSchedule(schedule, epochs: s.epochs) }
        if let pretrainEpochs { s.pretrainEpochs = pretrainEpochs }
        if let rbmLr { s.cd.learningRate = rbmLr }
        if let noise { s.objective.corruption = try Corruption(parsing: noise) }
        if let contractive { s.objective.contractive = contractive }
        if let lambda {
            if s.psd != nil { s.psd!.lambda = lambda } else { s.objective.ncaWeight = lambda }
        }
        if let alpha { s.psd?.alpha = alpha }
        if let fistaSteps { s.psd?.iterations = fistaSteps }
        if let ncaVariant { s.objective.ncaVariant = ncaVariant }
        if let codeNoise { s.objective.codeNoise = codeNoise }
        if let weightDecay { s.objective.weightDecay = weightDecay }
        if let loss { s.objective.loss = loss }
        if let tied { s.objective.tied = tied }
        if let validation { s.validation = validation }
        if let patience { s.patience = patience }
        s.seed = seed
        if s.objective.tied && s.pretrainEpochs > 0 {
            throw ValidationError(
                "tied weights and RBM pretraining do not mix: the unrolled decoder is untied (use --no-tied)")
        }
        try s.validate()
        return s
    }

    /// Comma-separated positive sizes, e.g. "500,500,2000,30"; "none" is the empty list where allowed.
    func parseSizes(_ text: String, option: String, allowNone: Bool = false) throws -> [Int] {
        if allowNone && text == "none" { return [] }
        let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("\(option) must be positive integers separated by commas, got '\(text)'")
        }
        return sizes.map { $0! }
    }

    func parseSchedule(_ text: String, epochs: Int) throws -> LearningRateSchedule {
        if text == "constant" { return .constant }
        if text == "cosine" { return .cosine(epochs: epochs) }
        let p = text.split(separator: ":")
        if p.count == 3, p[0] == "step", let every = Int(p[1]), every >= 1, let f = Float(p[2]), f > 0 {
            return .step(every: every, factor: f)
        }
        throw ValidationError("--schedule: expected constant, cosine or step:EVERY:FACTOR, got '\(text)'")
    }
}
