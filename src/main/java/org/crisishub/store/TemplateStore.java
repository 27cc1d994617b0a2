package org.crisishub.store;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Notice templates as store state, on both engines (docs/notices.md, "Templates"). A template
 * belongs to one agency and has numbered versions (1, 2, …); a version is {@code draft} until it is
 * approved, then {@code approved} for good. Only the latest version can be approved; a new version
 * never changes an older one, so the approved version stays usable while a newer draft waits.
 * The store keeps each version's content as the JSON text it is given and never interprets it.
 *
 * <p>Same promises as {@link Store}: a succeeded future means the change is durable; store faults
 * fail with {@code HubException(UNAVAILABLE)}; futures complete on the caller's context; all
 * methods are thread-safe and never block.
 */
public interface TemplateStore {

  /** Stores a new template with {@code first} as its version 1 ({@code draft}). */
  Future<Void> createTemplate(Template template, Version first);

  Future<Optional<Template>> template(String id);

  /** The agency's templates (any order). */
  Future<List<Template>> templates(String agency);

  /** One version; empty when the template or the version does not exist. */
  Future<Optional<Version>> version(String id, int version);

  /**
   * Adds a new latest version ({@code draft}, number = latest + 1) by {@code author} with
   * {@code contentJson}; its number, or empty when there is no such template.
   */
  Future<Optional<Integer>> addVersion(String id, String author, String contentJson, Instant now);

  /**
   * Approves {@code version} by {@code approver} when it is still the template's latest version and
   * a draft; it then becomes the template's approved version. False otherwise (nothing changed).
   */
  Future<Boolean> approveVersion(String id, int version, String approver, Instant now);

  /**
   * A template's identity and version pointers.
   *
   * @param latestVersion the newest version's number
   * @param approvedVersion the newest approved version's number; null while none is approved
   */
  record Template(String id, String agency, Instant createdAt, int latestVersion, Integer approvedVersion) {
  }

  /**
   * One version. {@code state}: {@code draft} or {@code approved}; {@code approvedBy} and
   * {@code approvedAt} are null while it is a draft.
   */
  record Version(String templateId, int version, String author, String contentJson, String state,
      String approvedBy, Instant createdAt, Instant approvedAt) {
  }
}
