package org.crisishub.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP proxy in front of a hub whose link a test cuts for real, below the browser (DevTools
 * offline emulation reaches neither service workers nor open WebSockets):
 * <ul>
 *   <li>{@link #down()}: open connections are reset and new ones are refused, as when the hub is
 *       unreachable;</li>
 *   <li>{@link #silent()}: connections stay open but nothing gets through in either direction, as on
 *       a dead mobile network (no close, no error: only a ping notices);</li>
 *   <li>{@link #up()}: everything passes again.</li>
 * </ul>
 * The listening port stays the same throughout (the page's origin must not change). Thread per
 * connection direction; test code only.
 */
public final class LinkProxy implements AutoCloseable {
  private enum Mode { UP, SILENT, DOWN }

  private final ServerSocket server;
  private final int target;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.UP;
  private volatile boolean closed;

  public LinkProxy(int targetPort) throws IOException {
    this.target = targetPort;
    this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread t = new Thread(this::accept, "link-proxy-accept");
    t.setDaemon(true);
    t.start();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Lets everything through again; connections that lost bytes while silent are reset first. */
  public void up() {
    if (mode == Mode.SILENT) {
      for (Socket s : open) {
        closeQuietly(s);
      }
    }
    mode = Mode.UP;
  }

  public void silent() {
    mode = Mode.SILENT;
  }

  public void down() {
    mode = Mode.DOWN;
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  private void accept() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        return;
      }
      if (mode == Mode.DOWN) {
        try {
          client.setSoLinger(true, 0); // a reset, like a refused connection
        } catch (IOException ignored) {
          // closing anyway
        }
        closeQuietly(client);
        continue;
      }
      try {
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), target), 5000);
        open.add(client);
        open.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t = new Thread(() -> {
      byte[] buf = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (mode == Mode.UP) {
            out.write(buf, 0, n);
            out.flush();
          }
          // SILENT: the bytes are lost on the way, as on a dead network.
        }
      } catch (IOException ignored) {
        // one side closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
        open.remove(from);
        open.remove(to);
      }
    }, "link-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : open) {
      closeQuietly(s);
    }
  }
}
