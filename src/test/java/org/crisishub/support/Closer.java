package org.crisishub.support;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened and must close after it (hub clusters, clients, sockets), closed in reverse
 * order by {@link #close()}. Not thread-safe: one test's thread adds and closes.
 */
public final class Closer implements AutoCloseable {
  private final List<AutoCloseable> closing = new ArrayList<>();

  /** Registers {@code c} to be closed by {@link #close()}; returns it. */
  public <T extends AutoCloseable> T add(T c) {
    closing.add(c);
    return c;
  }

  /**
   * Closes everything added, last first, and forgets it. Every one is closed even when some fail;
   * the last {@link AssertionError} one threw (a check made while closing, e.g. no blocked event loop)
   * is rethrown at the end, other exceptions are ignored (teardown keeps going).
   */
  @Override
  public void close() {
    AssertionError failure = null;
    for (int i = closing.size() - 1; i >= 0; i--) {
      try {
        closing.get(i).close();
      } catch (AssertionError e) {
        failure = e;
      } catch (Exception e) {
        // keep closing
      }
    }
    closing.clear();
    if (failure != null) {
      throw failure;
    }
  }
}
