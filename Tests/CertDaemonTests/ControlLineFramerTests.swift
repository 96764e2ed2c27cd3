import CertDaemon
import Testing

/// The control protocol's one line framing, byte by byte.
@Suite struct ControlLineFramerTests {
    func frames(_ framer: inout ControlLineFramer) -> [ControlLineFramer.Frame] {
        var out: [ControlLineFramer.Frame] = []
        while let frame = framer.next() { out.append(frame) }
        return out
    }

    func line(_ text: String) -> ControlLineFramer.Frame { .line(Array(text.utf8)) }

    @Test func linesSplitAcrossChunksComeOutWhole() {
        var framer = ControlLineFramer(lineBytesMax: 64)
        framer.append(Array("{\"id\":1}\n{\"id\"".utf8))
        #expect(frames(&framer) == [line("{\"id\":1}")])
        framer.append(Array(":2}\n\n".utf8))
        #expect(frames(&framer) == [line("{\"id\":2}"), line("")])
        #expect(framer.bufferedBytes == 0)
    }

    @Test func everyByteAloneGivesTheSameLines() {
        let text = "ab\ncd\r\n\nlast"
        var framer = ControlLineFramer(lineBytesMax: 8)
        var out: [ControlLineFramer.Frame] = []
        for byte in text.utf8 {
            framer.append([byte])
            out += frames(&framer)
        }
        #expect(out == [line("ab"), line("cd\r"), line("")])
        #expect(framer.finish() == line("last"))
        #expect(framer.finish() == nil)
    }

    @Test func anOverLongLineIsReportedOnceAndSkipped() {
        var framer = ControlLineFramer(lineBytesMax: 4)
        // Complete in one chunk.
        framer.append(Array("123456\nok\n".utf8))
        #expect(frames(&framer) == [.tooLong, line("ok")])
        // Arriving in pieces, longer than the limit before its newline: reported once, then
        // skipped to the newline without holding its bytes.
        framer.append(Array("abcdefgh".utf8))
        #expect(frames(&framer) == [.tooLong])
        #expect(framer.bufferedBytes == 0)
        framer.append(Array("ijklmnop".utf8))
        #expect(frames(&framer) == [])
        framer.append(Array("qr\nfine\n".utf8))
        #expect(frames(&framer) == [line("fine")])
        // Exactly the limit is allowed.
        framer.append(Array("1234\n".utf8))
        #expect(frames(&framer) == [line("1234")])
    }

    @Test func anOverLongLineCutByTheEndIsNotALine() {
        var framer = ControlLineFramer(lineBytesMax: 4)
        framer.append(Array("abcdefgh".utf8))
        #expect(frames(&framer) == [.tooLong])
        #expect(framer.finish() == nil)
    }
}
