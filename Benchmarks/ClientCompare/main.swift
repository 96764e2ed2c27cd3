import Foundation

// The project's hand-written pieces beside the libraries they stand in for, on the same work:
// the runner's HTTP client (`HTTPConnectionPool`) against async-http-client's `HTTPClient`, and
// the daemon's narrow JSON reader (`FlatJSON`) against Foundation's `JSONDecoder`.
//
//   swift run -c release client-compare [--requests N] [--in-flight K] [--rounds R] [--bodies M]

struct Options {
    static let requestsMax = 1_000_000
    static let inFlightMax = 1_024
    static let roundsMax = 9
    static let bodiesMax = 10_000_000

    var requests = 50_000
    var inFlight = 64
    var rounds = 3
    var bodies = 1_000_000

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value(_ name: String, max: Int) -> Int {
            index += 1
            guard index < arguments.count, let number = Int(arguments[index]), number > 0, number <= max else {
                fail("\(name) takes a whole number from 1 to \(max)")
            }
            return number
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--requests": options.requests = value("--requests", max: requestsMax)
            case "--in-flight": options.inFlight = value("--in-flight", max: inFlightMax)
            case "--rounds": options.rounds = value("--rounds", max: roundsMax)
            case "--bodies": options.bodies = value("--bodies", max: bodiesMax)
            default: fail("unknown argument \(arguments[index]); usage: client-compare [--requests N] [--in-flight K] [--rounds R] [--bodies M]")
            }
            index += 1
        }
        return options
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("client-compare: \(message)\n".utf8))
        exit(64)
    }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
JSONComparison.run(bodies: options.bodies, rounds: options.rounds)
try await HTTPComparison.run(requests: options.requests, inFlight: options.inFlight, rounds: options.rounds)
