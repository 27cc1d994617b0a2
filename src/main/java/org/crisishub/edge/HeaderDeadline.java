package org.crisishub.edge;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The deadline of each request's headers on one HTTP/1 connection, as two small Netty handlers
 * around Vert.x's HTTP codec (Vert.x has no option for "headers not complete after N s"; its idle
 * timeout would also cut quiet WebSockets and SSE streams):
 *
 * <ul>
 *   <li>ahead of the decoder, {@code hub-header-clock} sees raw bytes: the first byte of a request
 *       starts the clock (for the connection's first request, the clock starts at accept, so a
 *       connection that never sends a byte is closed too);</li>
 *   <li>behind the decoder, {@code hub-header-done} sees the decoded request line and headers, which
 *       stop the clock, and the end of each response, after which a kept-alive connection has
 *       {@code keepAliveNanos} to start its next request (closed quietly, not counted, otherwise).</li>
 * </ul>
 *
 * <p>A connection whose headers are late is closed and reported through {@code onTimeout}. Both
 * handlers leave the pipeline when a request is upgraded to a WebSocket (its 101 response). Not
 * thread-safe: everything runs on the channel's event loop.
 */
final class HeaderDeadline {
  static final String CLOCK = "hub-header-clock";
  static final String DONE = "hub-header-done";

  private enum State { HEADERS, IN_REQUEST, WAITING }

  private final Channel channel;
  private final long headerNanos;
  private final long keepAliveNanos;
  private final Runnable onTimeout;
  private State state = State.HEADERS;
  /** Requests whose headers were read and whose response has not ended. */
  private int outstanding;
  /** True between a request's headers and the end of its body. */
  private boolean bodyOpen;
  /** True from a WebSocket upgrade request until its response. */
  private boolean upgrading;
  private ScheduledFuture<?> timer;

  private HeaderDeadline(Channel channel, long headerNanos, long keepAliveNanos, Runnable onTimeout) {
    this.channel = channel;
    this.headerNanos = headerNanos;
    this.keepAliveNanos = keepAliveNanos;
    this.onTimeout = onTimeout;
  }

  /** Adds both handlers around the channel's HTTP codec and starts the first request's clock. */
  static void install(Channel channel, long headerNanos, long keepAliveNanos, Runnable onTimeout) {
    ChannelPipeline p = channel.pipeline();
    if (p.get("httpDecoder") == null || p.get("handler") == null) {
      return; // not an HTTP/1 pipeline as Vert.x builds it
    }
    HeaderDeadline d = new HeaderDeadline(channel, headerNanos, keepAliveNanos, onTimeout);
    p.addBefore("httpDecoder", CLOCK, d.new Clock());
    p.addBefore("handler", DONE, d.new Done());
    d.arm(headerNanos);
  }

  private void arm(long nanos) {
    cancel();
    timer = channel.eventLoop().schedule(this::expired, nanos, TimeUnit.NANOSECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void expired() {
    timer = null;
    if (!channel.isOpen()) {
      return;
    }
    if (state == State.HEADERS) {
      onTimeout.run();
      channel.close();
    } else if (state == State.WAITING) {
      channel.close();
    }
  }

  private void remove() {
    cancel();
    ChannelPipeline p = channel.pipeline();
    if (p.get(CLOCK) != null) {
      p.remove(CLOCK);
    }
    if (p.get(DONE) != null) {
      p.remove(DONE);
    }
  }

  /** Raw bytes, ahead of the decoder: the first byte of a request starts its clock. */
  private final class Clock extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (ctx.pipeline().get("httpDecoder") == null) {
        // Upgraded (the HTTP decoder is gone): these bytes are WebSocket frames, not a request.
        remove();
        ctx.fireChannelRead(msg);
        return;
      }
      if (state == State.WAITING && !bodyOpen && msg instanceof ByteBuf b && b.isReadable()) {
        state = State.HEADERS;
        arm(headerNanos);
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      cancel();
      ctx.fireChannelInactive();
    }
  }

  /** Decoded messages, behind the decoder: headers read, body ended, response ended. */
  private final class Done extends ChannelDuplexHandler {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HttpRequest req) {
        outstanding++;
        bodyOpen = true;
        state = State.IN_REQUEST;
        cancel();
        String upgrade = req.headers().get(HttpHeaderNames.UPGRADE);
        upgrading = upgrade != null && upgrade.equalsIgnoreCase("websocket");
      }
      if (msg instanceof LastHttpContent) {
        bodyOpen = false;
      }
      ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (upgrading && msg instanceof HttpResponse r) {
        upgrading = false;
        if (r.status().code() == 101) {
          // From here on the bytes are WebSocket frames, watched by the idle and stall timeouts. A
          // refused upgrade (403, 400) stays an HTTP connection with its deadlines.
          remove();
          ctx.write(msg, promise);
          return;
        }
      }
      if (msg instanceof LastHttpContent && outstanding > 0 && --outstanding == 0 && state == State.IN_REQUEST) {
        state = State.WAITING;
        arm(keepAliveNanos);
      }
      ctx.write(msg, promise);
    }
  }
}
