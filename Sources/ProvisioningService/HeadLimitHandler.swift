import HTTPTypes
import HummingbirdCore
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers `431` to a request head (request line and header fields) over
/// `maxBytes` and closes the connection (CONTRACT.md §10). The HTTP/1
/// decoder is limited to the same size, so a larger head is never buffered:
/// its overflow error is turned into the 431 here; a long target, which the
/// decoder does not limit, is measured when the head arrives.
final class HeadLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let maxBytes = 16 * 1024

    /// Requests passed on whose response has not ended. A pipelined client
    /// gets its earlier responses first; the 431 waits until they have ended.
    private var pending = 0
    /// The head was refused: the rest of the connection's input is dropped.
    private var refused = false
    /// A refusal waiting for `pending` to reach 0.
    private var answerWhenIdle = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if case .head(let head) = unwrapInboundIn(data), Self.size(of: head) > Self.maxBytes {
            refuse(context: context)
            return
        }
        if case .head = unwrapInboundIn(data) { pending += 1 }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // After a refusal the decoder reports every later byte as an error: dropped.
        if refused { return }
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        refuse(context: context)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        pending = max(0, pending - 1)
        context.write(data, promise: promise)
        if answerWhenIdle && pending == 0 { answer431(context: context) }
    }

    /// Refuse the head: drop the rest of the input and answer 431 once the
    /// responses already owed have been written.
    private func refuse(context: ChannelHandlerContext) {
        refused = true
        if pending > 0 {
            answerWhenIdle = true
        } else {
            answer431(context: context)
        }
    }

    /// Answer 431, then close the sending side only and drop what the client
    /// still sends until it closes (or `lingerSeconds` pass): closing at once
    /// with its bytes unread would reset the connection, and the client might
    /// lose the 431 to the reset.
    private func answer431(context: ChannelHandlerContext) {
        answerWhenIdle = false
        let head = HTTPResponse(status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                                headerFields: [.connection: "close", .contentLength: "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(mode: .output, promise: nil)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: .seconds(Self.lingerSeconds)) { channel.close(promise: nil) }
    }

    static let lingerSeconds: Int64 = 2

    /// The bytes a head took on the wire, near enough: method, target and
    /// every field with its separators.
    static func size(of head: HTTPRequest) -> Int {
        var size = head.method.rawValue.utf8.count + (head.path?.utf8.count ?? 0) + 12
        for field in head.headerFields { size += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        return size
    }

    /// The HTTP/1 server with the head limit and `idleSeconds` idle timeout.
    static func server(idleSeconds: Int64) -> HTTPServerBuilder {
        .http1(configuration: .init(
            additionalChannelHandlers: [HeadLimitHandler()], idleTimeout: .seconds(idleSeconds),
            httpDecoderConfiguration: .init(maxHeaderFieldSize: maxBytes, maxHeaderListSize: maxBytes)))
    }
}
