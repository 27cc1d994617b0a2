package org.crisishub.fanout;

/**
 * One server-to-client frame, serialised once and shared by every session it goes to.
 *
 * @param text the JSON text of the frame
 * @param coalesceKey frames with the same non-null key replace each other while they wait in a
 *     session's queue (latest status wins); null for frames that must each be delivered
 */
public record OutFrame(String text, String coalesceKey) {
  public static OutFrame of(String text) {
    return new OutFrame(text, null);
  }
}
