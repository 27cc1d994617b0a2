package org.crisishub.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.crisishub.store.TemplateStore.Template;
import org.crisishub.store.TemplateStore.Version;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The contract every {@link TemplateStore} keeps; one subclass per engine supplies the store. */
public abstract class TemplateStoreContractTest extends StoreTestBase {
  protected TemplateStore templates;
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  /** Content with characters a careless engine would mangle (JSON escapes, astral, Lua-special). */
  static final String CONTENT = "{\"headline\":\"Abri ouvert à {place} 🏠 \\\"%s\\\" [[x]] \\u2028\"}";

  @BeforeEach
  void concern() {
    templates = store.templates();
  }

  @Test
  @DisplayName("a new template is version 1, a draft, with its content kept byte for byte and nothing approved")
  void create() throws Exception {
    await(templates.createTemplate(new Template("t1", "County EMS", T0, 1, null),
        new Version("t1", 1, "ann", CONTENT, "draft", null, T0, null)));
    Template t = await(templates.template("t1")).orElseThrow();
    assertEquals("County EMS", t.agency());
    assertEquals(1, t.latestVersion());
    assertNull(t.approvedVersion());
    assertEquals(T0, t.createdAt());
    Version v = await(templates.version("t1", 1)).orElseThrow();
    assertEquals("draft", v.state());
    assertEquals("ann", v.author());
    assertEquals(CONTENT, v.contentJson());
    assertNull(v.approvedBy());
    assertTrue(await(templates.version("t1", 2)).isEmpty());
    assertTrue(await(templates.template("nope")).isEmpty());
    assertTrue(await(templates.addVersion("nope", "ann", CONTENT, T0)).isEmpty());
  }

  @Test
  @DisplayName("approval: only the latest draft; a new version waits while the approved one stays the approved one")
  void versions() throws Exception {
    await(templates.createTemplate(new Template("t1", "County EMS", T0, 1, null),
        new Version("t1", 1, "ann", "{\"v\":1}", "draft", null, T0, null)));
    assertFalse(await(templates.approveVersion("t1", 2, "bob", T0)), "no such version");
    assertTrue(await(templates.approveVersion("t1", 1, "bob", T0.plusSeconds(5))));
    assertFalse(await(templates.approveVersion("t1", 1, "bob", T0)), "approved once");
    Version v1 = await(templates.version("t1", 1)).orElseThrow();
    assertEquals("approved", v1.state());
    assertEquals("bob", v1.approvedBy());
    assertEquals(T0.plusSeconds(5), v1.approvedAt());

    assertEquals(2, await(templates.addVersion("t1", "cat", "{\"v\":2}", T0.plusSeconds(10))).orElseThrow());
    Template t = await(templates.template("t1")).orElseThrow();
    assertEquals(2, t.latestVersion());
    assertEquals(1, t.approvedVersion(), "the approved version stays usable");
    assertFalse(await(templates.approveVersion("t1", 1, "bob", T0)), "not the latest any more");
    assertEquals(3, await(templates.addVersion("t1", "cat", "{\"v\":3}", T0.plusSeconds(20))).orElseThrow());
    assertFalse(await(templates.approveVersion("t1", 2, "bob", T0)), "a superseded draft cannot be approved");
    assertEquals("draft", await(templates.version("t1", 2)).orElseThrow().state());
    assertTrue(await(templates.approveVersion("t1", 3, "bob", T0.plusSeconds(30))));
    t = await(templates.template("t1")).orElseThrow();
    assertEquals(3, t.approvedVersion());
    assertEquals("{\"v\":2}", await(templates.version("t1", 2)).orElseThrow().contentJson());
    assertEquals("cat", await(templates.version("t1", 3)).orElseThrow().author());
  }

  @Test
  @DisplayName("concurrent new versions get distinct numbers; templates are listed per agency")
  void concurrentAndPerAgency() throws Exception {
    await(templates.createTemplate(new Template("t1", "County EMS", T0, 1, null),
        new Version("t1", 1, "ann", "{}", "draft", null, T0, null)));
    await(templates.createTemplate(new Template("t2", "County EMS", T0, 1, null),
        new Version("t2", 1, "ann", "{}", "draft", null, T0, null)));
    await(templates.createTemplate(new Template("t3", "Fire Dept", T0, 1, null),
        new Version("t3", 1, "fay", "{}", "draft", null, T0, null)));
    List<Future<java.util.Optional<Integer>>> adds = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      adds.add(templates.addVersion("t1", "ann", "{\"i\":" + i + "}", T0));
    }
    await(Future.all(adds));
    assertEquals(20, adds.stream().map(f -> f.result().orElseThrow()).distinct().count());
    assertEquals(21, await(templates.template("t1")).orElseThrow().latestVersion());
    assertEquals(List.of("t1", "t2"), await(templates.templates("County EMS")).stream().map(Template::id).sorted()
        .toList());
    assertEquals(List.of("t3"), await(templates.templates("Fire Dept")).stream().map(Template::id).toList());
    assertTrue(await(templates.templates("Nobody")).isEmpty());
  }
}
