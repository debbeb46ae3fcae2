import NIOCore
import NIOSSL

extension ProxyServer {
    /// Puts TLS at the front of an accepted connection's pipeline when the listener has it; the context is the
    /// one built at start-up, only the per-connection handler is new.
    ///
    /// A client that speaks plain HTTP (or a bad TLS version) to a TLS listener fails its handshake: the
    /// error reaches the proxy handler, which closes that connection only.
    func addListenerTLSIfConfigured(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        guard let context = self.shared.tls.listener else { return }
        try pipeline.addHandler(NIOSSLServerHandler(context: context))
    }
}
