package org.crisishub.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.crisishub.domain.HubException;
import org.crisishub.edge.RequestJson;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * RFC 8785 (JSON Canonicalization Scheme) on the command line, shipped in the hub's jar so that a
 * notice can be verified with standard tools (docs/notices.md): reads one JSON object from a file
 * (or standard input), optionally drops top-level members, and writes its canonical UTF-8 bytes to
 * standard output, with no trailing newline. The same library the hub signs with.
 *
 * <pre>java -cp crisis-hub.jar org.crisishub.tools.Jcs --drop signature notice.json &gt; msg.bin</pre>
 *
 * <p>Exit status 0 on success; 2 with a message on standard error when the input is not one
 * well-formed JSON object (duplicate keys, trailing data and malformed UTF-8 included).
 */
public final class Jcs {
  private Jcs() {
  }

  /** The canonical bytes of {@code json} (one JSON object) without the top-level members {@code drop}. */
  public static byte[] canonical(byte[] json, String... drop) throws IOException {
    JsonNode n = RequestJson.object(json);
    for (String d : drop) {
      ((ObjectNode) n).remove(d);
    }
    return new JsonCanonicalizer(n.toString()).getEncodedUTF8();
  }

  public static void main(String[] args) throws IOException {
    java.util.List<String> drop = new java.util.ArrayList<>();
    String file = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--drop") && i + 1 < args.length) {
        drop.add(args[++i]);
      } else if (args[i].equals("-h") || args[i].equals("--help")) {
        System.out.println("usage: Jcs [--drop MEMBER]... [FILE]   (RFC 8785 canonical form to standard output)");
        return;
      } else {
        file = args[i];
      }
    }
    byte[] in = file == null || file.equals("-") ? System.in.readAllBytes() : Files.readAllBytes(Path.of(file));
    byte[] out;
    try {
      out = canonical(in, drop.toArray(String[]::new));
    } catch (HubException e) {
      System.err.println("Jcs: " + e.getMessage());
      System.exit(2);
      return;
    }
    OutputStream o = System.out;
    o.write(out);
    o.flush();
  }
}
