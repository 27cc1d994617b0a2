package org.crisishub.app;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import org.crisishub.edge.ConnectionGuard;
import io.vertx.ext.web.Router;

/** One HTTP + WebSocket server instance; the hub deploys one per core on the same port. */
final class HttpVerticle extends VerticleBase {
  /** WebSocket frames and messages above this close the connection with 1009. */
  static final int MAX_WS_MESSAGE = 16 * 1024;

  private final String host;
  private final int port;
  private final int sendBufferBytes;
  private final ConnectionGuard connections;
  private final Router router;
  private HttpServer server;

  /**
   * {@code router} is built beforehand on a worker thread: building it loads classes for a while.
   * {@code sendBufferBytes}: the socket send buffer ({@code HUB_WS_SEND_BUFFER_BYTES}), 0 for the
   * system's; {@code connections} is told of every accepted connection (the caps and header deadline).
   */
  HttpVerticle(String host, int port, int sendBufferBytes, ConnectionGuard connections, Router router) {
    this.host = host;
    this.port = port;
    this.sendBufferBytes = sendBufferBytes;
    this.connections = connections;
    this.router = router;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setHost(host)
        .setPort(port)
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false)
        .setMaxWebSocketFrameSize(MAX_WS_MESSAGE)
        .setMaxWebSocketMessageSize(MAX_WS_MESSAGE)
        // Twilio webhooks carry SMS bodies of up to 1,600 characters of any script: up to 19,200 bytes
        // percent-encoded (four UTF-8 bytes, three characters each), more than the default 8 KiB.
        .setMaxFormAttributeSize(org.crisishub.edge.SmsRoutes.MAX_FORM_BODY)
        .setMaxFormBufferedBytes(org.crisishub.edge.SmsRoutes.MAX_FORM_BODY)
        .setCompressionSupported(true)
        // HTTP/1.1 only: with h2c on, Vert.x builds the HTTP/1 pipeline (and reports the connection)
        // only after the first bytes, and the header deadline could not start at accept.
        .setHttp2ClearTextEnabled(false);
    if (sendBufferBytes > 0) {
      options.setSendBufferSize(sendBufferBytes);
    }
    server = vertx.createHttpServer(options)
        .connectionHandler(connections::accepted)
        .requestHandler(router);
    return server.listen();
  }

  int actualPort() {
    return server.actualPort();
  }
}
