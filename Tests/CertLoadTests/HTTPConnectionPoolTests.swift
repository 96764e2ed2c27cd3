import NIOCore
import NIOPosix
import Testing
@testable import CertLoad

/// The runner's HTTP client on its own: a request nobody answers fails once its timeout has
/// passed (the connection's one timer closes the connection), and the pool still serves after it.
@Suite(.timeLimit(.minutes(5))) struct HTTPConnectionPoolTests {
    /// A loopback server that reads requests and never answers them.
    final class Silent: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    }

    /// A loopback server that answers every request with a fixed small JSON body once its blank line arrives.
    final class Answering: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        private var seen: [UInt8] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            seen += buffer.readBytes(length: buffer.readableBytes) ?? []
            // GET requests without a body: each ends with an empty line.
            while let end = Self.endOfHead(seen) {
                seen.removeFirst(end)
                let body = #"{"answersCount":1,"completed":false,"questionNumber":1}"#
                let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text)), promise: nil)
            }
        }

        static func endOfHead(_ bytes: [UInt8]) -> Int? {
            guard bytes.count >= 4 else { return nil }
            for index in 0...(bytes.count - 4)
            where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
                return index + 4
            }
            return nil
        }
    }

    func withServer(_ makeHandler: @escaping @Sendable () -> any ChannelHandler, _ body: (Int) async throws -> Void) async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(makeHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        do {
            try await body(server.localAddress?.port ?? 0)
        } catch {
            try? await server.close()
            throw error
        }
        try await server.close()
    }

    @Test func anUnansweredRequestFailsAfterItsTimeout() async throws {
        try await withServer({ Silent() }) { port in
            let pool = HTTPConnectionPool(host: "127.0.0.1", port: port, connectionsMax: 1, requestTimeoutSeconds: 1)
            do {
                _ = try await pool.send(HTTPClientRequest(method: .GET, path: "/healthz"))
                Issue.record("the server never answers")
            } catch let error as HTTPClientError {
                guard case .connectionClosed = error else {
                    Issue.record("expected the connection to be closed by the timeout, got \(error)")
                    return
                }
            }
            await pool.close()
        }
    }

    @Test func manyRequestsOnFewConnectionsEachGetTheirAnswer() async throws {
        try await withServer({ Answering() }) { port in
            let pool = HTTPConnectionPool(host: "127.0.0.1", port: port, connectionsMax: 3, requestTimeoutSeconds: 5)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        for _ in 0..<5 {
                            let response = try await pool.send(HTTPClientRequest(method: .GET, path: "/x"))
                            #expect(response.status == .ok)
                            #expect(response.keepAlive)
                            #expect(String(decoding: response.body, as: UTF8.self).hasPrefix(#"{"answersCount":1"#))
                        }
                    }
                }
                try await group.waitForAll()
            }
            await pool.close()
        }
    }

    @Test func aRequestThatWouldBreakTheFramingIsRefusedNotSent() {
        let allocator = ByteBufferAllocator()
        func bytes(_ request: HTTPClientRequest) -> String? {
            HTTPResponseCollector.serialize(request, host: "127.0.0.1", allocator: allocator).map { String(buffer: $0) }
        }
        #expect(bytes(HTTPClientRequest(method: .GET, path: "/a", headers: [("Authorization", "Bearer t")]))
                == "GET /a HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n\r\n")
        #expect(bytes(HTTPClientRequest(method: .POST, path: "/b", body: Array("{}".utf8)))
                == "POST /b HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        #expect(bytes(HTTPClientRequest(method: .POST, path: "/c")) == "POST /c HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
        #expect(bytes(HTTPClientRequest(method: .GET, path: "/a b")) == nil)
        #expect(bytes(HTTPClientRequest(method: .GET, path: "")) == nil)
        #expect(bytes(HTTPClientRequest(method: .GET, path: "/a", headers: [("Authorization", "Bearer t\r\nX: y")])) == nil)
        #expect(bytes(HTTPClientRequest(method: .GET, path: "/a", headers: [("Bad Name", "v")])) == nil)
    }
}
