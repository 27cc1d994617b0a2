package org.crisishub.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * A loopback TCP proxy for fault injection: forwards bytes both ways between its clients and a
 * target port, until told to lose the replies of one request. {@link #loseRepliesAfter} arms it: the
 * first connection whose client then sends bytes containing the marker still has those bytes
 * delivered to the target (which acts on them), but nothing the target answers on that connection
 * reaches the client any more, as if the target died right after acting. {@link #cut} then closes
 * that connection. Runs on its own threads (tests only, never on an event loop).
 */
public final class FaultProxy implements AutoCloseable {
  private final ServerSocket server;
  private final int target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile String marker;
  private volatile CountDownLatch replyLost = new CountDownLatch(1);
  private volatile Socket doomedClient;
  private volatile Socket doomedTarget;

  public FaultProxy(int targetPort) throws IOException {
    this.target = targetPort;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::acceptLoop, "fault-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /**
   * Arms the proxy (see the class comment); the latch opens once the target answered the request
   * whose bytes held {@code marker}, and that answer was lost.
   */
  public CountDownLatch loseRepliesAfter(String marker) {
    replyLost = new CountDownLatch(1);
    this.marker = marker;
    return replyLost;
  }

  /** Closes the connection whose replies are being lost, both ways. */
  public void cut() throws IOException {
    if (doomedClient != null) {
      doomedClient.close();
    }
    if (doomedTarget != null) {
      doomedTarget.close();
    }
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket client = null;
      try {
        client = server.accept();
        Socket upstream;
        try {
          upstream = new Socket(InetAddress.getLoopbackAddress(), target);
        } catch (IOException e) {
          client.close(); // the target is down: so is this connection
          continue;
        }
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        boolean[] doomed = {false};
        pump(client, upstream, true, doomed);
        pump(upstream, client, false, doomed);
      } catch (IOException e) {
        // closed, or the target is down: the client sees its connection closed
      }
    }
  }

  private void pump(Socket from, Socket to, boolean request, boolean[] doomed) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[65536];
      StringBuilder window = new StringBuilder();
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) > 0) {
          if (request) {
            String m = marker;
            if (m != null) {
              window.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
              if (window.length() > 1 << 20) {
                window.delete(0, window.length() - (1 << 16));
              }
              if (window.indexOf(m) >= 0) {
                synchronized (this) {
                  if (marker != null) {
                    marker = null;
                    doomed[0] = true;
                    doomedClient = from;
                    doomedTarget = to;
                  }
                }
              }
            }
            out.write(buf, 0, n);
            out.flush();
          } else if (doomed[0]) {
            replyLost.countDown();
          } else {
            out.write(buf, 0, n);
            out.flush();
          }
        }
      } catch (IOException e) {
        // one side closed
      } finally {
        try {
          from.close();
          to.close();
        } catch (IOException ignored) {
          // closing anyway
        }
      }
    }, "fault-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
