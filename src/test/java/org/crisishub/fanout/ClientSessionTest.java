package org.crisishub.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The queue rules of one session, driven directly (the test thread plays the session's context):
 * frames go straight to the socket while it accepts them, wait in order while it does not, and when
 * the queue is full a newer status about the same person replaces the waiting one; anything else
 * closes the session as a slow consumer.
 */
@DisplayName("A session's outbound queue: ordering, coalescing of statuses per person, slow-consumer close")
class ClientSessionTest {
  static final int MAX = 4;
  Vertx vertx;
  RecordingSession s;
  final List<String> events = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    s = new RecordingSession(vertx.getOrCreateContext(), MAX);
    s.listener(new ClientSession.SessionListener() {
      @Override
      public void coalesced() {
        events.add("coalesced");
      }

      @Override
      public void backlogStarted(ClientSession x) {
        events.add("backlog");
      }

      @Override
      public void backlogCleared(ClientSession x) {
        events.add("cleared");
      }

      @Override
      public void slowConsumerClosed() {
        events.add("slow");
      }
    });
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  static OutFrame status(String phone, int seq) {
    return new OutFrame("status " + phone + " " + seq, "status:" + phone);
  }

  /** A late status (older than the person's latest) has no coalescing key: it must arrive. */
  static OutFrame lateStatus(String phone, int seq) {
    return new OutFrame("late status " + phone + " " + seq, null);
  }

  List<String> written() {
    List<String> out = new ArrayList<>();
    s.written.drainTo(out);
    return out;
  }

  @Test
  @DisplayName("while the socket accepts writes every frame is written at once, in order")
  void straightThrough() {
    s.send(status("A", 1));
    s.send(OutFrame.of("notice"));
    s.send(status("A", 2));
    assertEquals(List.of("status A 1", "notice", "status A 2"), written());
    assertEquals(0, s.backlog());
    assertEquals(List.of(), events);
  }

  @Test
  @DisplayName("while the socket is full frames wait in order and go out when it drains")
  void waitsInOrder() {
    s.socketFull(true);
    s.send(status("A", 1));
    s.send(OutFrame.of("notice"));
    s.send(status("A", 2));
    assertEquals(List.of(), written());
    assertEquals(3, s.backlog());
    s.drainSocket();
    assertEquals(List.of("status A 1", "notice", "status A 2"), written(), "not coalesced below the queue limit");
    assertEquals(0, s.backlog());
    assertEquals(List.of("backlog", "cleared"), events);
  }

  @Test
  @DisplayName("with the queue full a newer status about a person replaces the waiting one, in its place")
  void coalescesPerPerson() {
    s.socketFull(true);
    s.send(status("A", 1));
    s.send(status("B", 1));
    s.send(OutFrame.of("notice"));
    s.send(status("C", 1));
    s.send(status("A", 2));
    s.send(status("B", 2));
    s.send(status("A", 3));
    assertFalse(s.isClosed());
    assertEquals(MAX, s.backlog());
    s.drainSocket();
    assertEquals(List.of("status A 3", "status B 2", "notice", "status C 1"), written());
    assertEquals(3, events.stream().filter("coalesced"::equals).count());
  }

  @Test
  @DisplayName("a status sent after its waiting one went out is queued again, not lost")
  void coalescingKeyFreedAfterWrite() {
    s.socketFull(true);
    for (int i = 1; i <= MAX; i++) {
      s.send(status("P" + i, 1));
    }
    s.drainSocket();
    assertEquals(MAX, written().size());
    s.socketFull(true);
    for (int i = 1; i <= MAX; i++) {
      s.send(status("Q" + i, 1));
    }
    s.send(status("P1", 2));
    assertTrue(s.isClosed(), "P1's earlier status is no longer waiting: nothing to replace");
  }

  @Test
  @DisplayName("a late status is never coalesced: with the queue full it closes the session instead")
  void lateNeverCoalesced() {
    s.socketFull(true);
    s.send(status("A", 5));
    s.send(status("B", 1));
    s.send(status("C", 1));
    s.send(status("D", 1));
    s.send(lateStatus("A", 4));
    assertTrue(s.isClosed());
    assertEquals(ClientSession.CLOSE_SLOW_CONSUMER, s.closed.getNow(null));
    assertTrue(s.closeReason().startsWith("slow consumer (queue of 4 frames full)"), s.closeReason());
    assertEquals(List.of("backlog", "slow", "cleared"), events);
    assertEquals(0, s.backlog(), "what waited is dropped");
  }

  @Test
  @DisplayName("below the queue limit a late status waits beside the latest, both delivered in order")
  void lateQueuedBelowLimit() {
    s.socketFull(true);
    s.send(status("A", 5));
    s.send(lateStatus("A", 4));
    s.drainSocket();
    assertEquals(List.of("status A 5", "late status A 4"), written());
  }

  @Test
  @DisplayName("a frame that is not a status closes a session whose queue is full")
  void otherFrameOverLimitCloses() {
    s.socketFull(true);
    for (int i = 0; i < MAX; i++) {
      s.send(OutFrame.of("notice " + i));
    }
    s.send(OutFrame.of("one more"));
    assertEquals(ClientSession.CLOSE_SLOW_CONSUMER, s.closed.getNow(null));
    s.send(OutFrame.of("after close"));
    s.drainSocket();
    assertEquals(List.of(), written(), "nothing is written after the close");
  }

  @Test
  @DisplayName("a backlog that has not moved for the stall timeout closes the session; one that moves does not")
  void stalled() {
    s.socketFull(true);
    s.send(OutFrame.of("x"));
    long now = System.currentTimeMillis();
    s.checkStalled(now, 60_000);
    assertFalse(s.isClosed());
    s.checkStalled(now + 60_000, 60_000);
    assertEquals(ClientSession.CLOSE_SLOW_CONSUMER, s.closed.getNow(null));
    assertTrue(s.closeReason().contains("no frames read for 60 s"), s.closeReason());
  }

  @Test
  @DisplayName("a session with nothing waiting is never stalled")
  void notStalledWithoutBacklog() {
    s.send(OutFrame.of("x"));
    s.checkStalled(Long.MAX_VALUE, 1);
    assertFalse(s.isClosed());
  }

  @Test
  @DisplayName("while held (snapshot being read) frames wait; release writes the snapshot first, then them")
  void holdAndRelease() {
    s.hold();
    s.send(status("A", 7));
    assertEquals(List.of(), written());
    s.release(List.of(OutFrame.of("snapshot")));
    assertEquals(List.of("snapshot", "status A 7"), written());
  }
}
