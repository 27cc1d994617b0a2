package org.crisishub.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The package rules of docs/architecture.md, read from the compiled classes (so a fully qualified
 * name in the code counts as much as an import line).
 */
@AnalyzeClasses(packages = "org.crisishub", importOptions = ImportOption.DoNotIncludeTests.class)
class LayersTest {
  @ArchTest
  static final ArchRule domainUsesNoFrameworks = noClasses().that().resideInAPackage("org.crisishub.domain..")
      .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.netty..", "com.fasterxml.jackson..")
      .because("the domain is plain Java: records, rules and errors, no Vert.x, Netty or Jackson");

  @ArchTest
  static final ArchRule innerLayersDoNotKnowTheEdge = noClasses()
      .that().resideInAnyPackage("org.crisishub.core..", "org.crisishub.domain..", "org.crisishub.store..",
          "org.crisishub.notices..")
      .should().dependOnClassesThat().resideInAPackage("org.crisishub.edge..")
      .because("the core speaks domain and emits events; only the edge speaks wire");

  @ArchTest
  static final ArchRule onlyAppUsesApp = noClasses().that().resideOutsideOfPackage("org.crisishub.app..")
      .should().dependOnClassesThat().resideInAPackage("org.crisishub.app..")
      .because("app/ wires everything together; nothing it wires may reach back into it");

  @ArchTest
  static final ArchRule coreKnowsNoTransport = noClasses().that().resideInAPackage("org.crisishub.core..")
      .should().dependOnClassesThat().resideInAnyPackage("org.crisishub.edge..", "org.crisishub.sms..",
          "org.crisishub.fanout..", "org.crisishub.cluster..", "org.crisishub.app..")
      .because("the core decides and emits domain events; channels, sessions and the cluster belong to its callers");

  /**
   * Callers take the narrow store interfaces they use ({@code CheckInLog}, {@code FollowGraph}, ...);
   * the whole {@code Store} (one engine, with start, close, ping and purge) is for the wiring in app/,
   * and for the retention purge, which spans every concern.
   */
  @ArchTest
  static final ArchRule wholeStoreOnlyForWiring = noClasses()
      .that().resideOutsideOfPackages("org.crisishub.app..", "org.crisishub.store..")
      .and(not(belongToAnyOf(org.crisishub.core.RetentionPurge.class)))
      .should().dependOnClassesThat().belongToAnyOf(org.crisishub.store.Store.class,
          org.crisishub.store.StoreFactory.class)
      .because("a class depends on the store concerns it uses, not on the whole engine");
}
