package org.crisishub.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A plain TCP client speaking just enough HTTP/1.1 by hand, from a chosen loopback source address:
 * what an attacker's script does (partial requests, idle sockets), and what a test needs to see
 * exactly when the hub closes a connection.
 */
public final class RawHttp implements AutoCloseable {
  public final Socket socket;
  private final InputStream in;

  private RawHttp(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
  }

  /** Connects to the hub on 127.0.0.1:{@code port} from {@code sourceIp} (any 127.x address). */
  public static RawHttp connect(String sourceIp, int port) throws IOException {
    Socket s = new Socket();
    s.bind(new InetSocketAddress(sourceIp, 0));
    s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
    s.setSoTimeout(20_000);
    return new RawHttp(s);
  }

  public RawHttp send(String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
    return this;
  }

  /** The WebSocket handshake of {@code path} with extra header lines (each ending in CRLF). */
  public static String wsHandshake(String path, String extraHeaders) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extraHeaders + "\r\n";
  }

  /**
   * Reads a response head (status line and headers) and returns its status, or -1 when the hub
   * closed the connection (EOF or reset) before one came.
   */
  public int readStatus() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    try {
      while (true) {
        int b = in.read();
        if (b < 0) {
          return -1;
        }
        head.write(b);
        String h = head.toString(StandardCharsets.ISO_8859_1);
        if (h.endsWith("\r\n\r\n")) {
          return Integer.parseInt(h.substring(9, 12));
        }
      }
    } catch (SocketException e) {
      return -1; // connection reset
    }
  }

  /** Reads the rest of a {@code Content-Length} body after {@link #readStatus()}; for small bodies. */
  public String readBody(int length) throws IOException {
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }

  /**
   * Waits until the hub closes the connection (EOF or reset), discarding anything it sends, and
   * returns how long that took in ms; fails when it stays open {@code maxMs}.
   */
  public long awaitClosed(long maxMs) throws IOException {
    long t0 = System.nanoTime();
    socket.setSoTimeout((int) maxMs);
    byte[] buf = new byte[4096];
    try {
      while (in.read(buf) >= 0) {
        if ((System.nanoTime() - t0) / 1_000_000 > maxMs) {
          throw new AssertionError("still open after " + maxMs + " ms");
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("still open after " + maxMs + " ms");
    } catch (SocketException e) {
      // reset: closed too
    }
    return (System.nanoTime() - t0) / 1_000_000;
  }

  /** One whole request on a fresh connection with {@code Connection: close}; returns the status. */
  public static int get(String sourceIp, int port, String path) throws IOException {
    try (RawHttp c = connect(sourceIp, port)) {
      return c.send("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").readStatus();
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
