package org.crisishub.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalServerChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The WebSocket connection's write gathering (issue 23), on a real Netty event loop and an in-process channel. */
@DisplayName("WebSocket writes: gathered per event-loop turn, flushed once, in order")
class WsGatherFlushesTest {
  DefaultEventLoopGroup group;
  Channel server;
  Channel client;
  final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
  final AtomicInteger flushes = new AtomicInteger();

  /** Counts the flushes that reach the transport. */
  final class FlushCounter extends ChannelOutboundHandlerAdapter {
    @Override
    public void flush(ChannelHandlerContext ctx) {
      flushes.incrementAndGet();
      ctx.flush();
    }
  }

  @BeforeEach
  void connect() throws Exception {
    group = new DefaultEventLoopGroup(1);
    LocalAddress address = new LocalAddress("ws-gather-" + System.nanoTime());
    server = new ServerBootstrap().group(group).channel(LocalServerChannel.class)
        .childHandler(new ChannelInitializer<LocalChannel>() {
          @Override
          protected void initChannel(LocalChannel ch) {
            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf b = (ByteBuf) msg;
                received.add(b.toString(StandardCharsets.UTF_8));
                b.release();
              }
            });
          }
        }).bind(address).sync().channel();
    client = new Bootstrap().group(group).channel(LocalChannel.class)
        .handler(new ChannelInboundHandlerAdapter()).connect(address).sync().channel();
    WsSession.gatherFlushes(client);
    // transport ← counter ← gatherer ← the connection's other handlers (Vert.x's WebSocket encoder)
    client.pipeline().addFirst(new FlushCounter());
  }

  @AfterEach
  void close() throws Exception {
    client.close().sync();
    server.close().sync();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("three writes with a flush each in one event-loop task: one flush after the task, frames in order")
  void gathered() throws Exception {
    CompletableFuture<Integer> duringTask = new CompletableFuture<>();
    int before = flushes.get();
    client.eventLoop().execute(() -> {
      client.writeAndFlush(text("a"));
      client.writeAndFlush(text("b"));
      client.writeAndFlush(text("c"));
      duringTask.complete(flushes.get() - before);
    });
    assertEquals(0, duringTask.get(10, TimeUnit.SECONDS), "no flush goes through while the task runs");
    StringBuilder got = new StringBuilder();
    while (got.length() < 3) {
      got.append(received.poll(10, TimeUnit.SECONDS));
    }
    assertEquals("abc", got.toString(), "all three, in order");
    assertEquals(1, flushes.get() - before, "one flush for the three frames");
  }

  @Test
  @DisplayName("a close flushes what was gathered first")
  void closeFlushes() throws Exception {
    client.eventLoop().execute(() -> {
      client.writeAndFlush(text("last words"));
      client.close();
    });
    assertEquals("last words", received.poll(10, TimeUnit.SECONDS));
  }
}
