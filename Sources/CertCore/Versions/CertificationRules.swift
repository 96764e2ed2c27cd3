import Foundation

/// The rules one test runs under: a certification version and the adaptive settings in force
/// (the version's `challenges` with a scenario's or a request's overrides on top, and the
/// estimator). Built once per version and shared by every test of it.
///
/// ```swift
/// let rules = try CertificationRules(version: BuiltInVersions.coreV3,
///                                    overrides: ["variationPercent": .number(0.3)], estimator: .eap)
/// ```
public struct CertificationRules: Sendable, Equatable {
    public let version: CertificationVersion
    public let configuration: AlgorithmConfiguration

    /// Refuses overrides the engine does not know or cannot run with (CONFIG_UNKNOWN_KEY,
    /// CONFIG_BAD_VALUE); `estimator` may also be given inside `overrides`.
    public init(version: CertificationVersion, overrides: [String: JSONValue] = [:],
                estimator: EstimatorKind? = nil) throws(ConfigurationError) {
        var configuration = try version.challenges.applying(overrides)
        if let estimator { configuration.estimator = estimator }
        self.version = version
        self.configuration = configuration
    }

    /// The rules of the built-in default version (core-v3) with its own settings.
    public static let coreV3: CertificationRules = {
        do {
            return try CertificationRules(version: BuiltInVersions.coreV3)
        } catch {
            preconditionFailure("the built-in version's settings are refused: \(error)")
        }
    }()

    /// The test's duration before extra time, in seconds.
    public var durationSeconds: Double { Double(version.assessmentDurationMinutes) * 60 }
}

extension AlgorithmConfiguration {
    /// These settings with the keys of a partial settings object put on top (the object's
    /// unknown keys and bad values are refused as when decoding one).
    public func applying(_ overrides: [String: JSONValue]) throws(ConfigurationError) -> AlgorithmConfiguration {
        guard !overrides.isEmpty else { return self }
        var merged: [String: JSONValue]
        do {
            guard let fields = try JSONValue(encoding: self).objectValue else { return self }
            merged = fields
        } catch {
            throw ConfigurationError(.configBadValue, "the algorithm settings cannot be encoded: \(error)")
        }
        for (key, value) in overrides { merged[key] = value }
        do {
            return try JSONValue.object(merged).decode(as: AlgorithmConfiguration.self)
        } catch let error as CertError {
            throw error
        } catch {
            throw ConfigurationError(.configBadValue, "the algorithm settings are not valid: \(describe(error))")
        }
    }
}
