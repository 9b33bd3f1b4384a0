/** Test support for Mail Hygiene: fakes, sample messages, JUnit 5 extensions and contract tests. */
module org.mailhygiene.testkit {
    requires transitive org.mailhygiene.api;
    requires static org.junit.jupiter.api;

    exports org.mailhygiene.testkit;
    exports org.mailhygiene.testkit.clamd;
    exports org.mailhygiene.testkit.cli;
    exports org.mailhygiene.testkit.corpus;
    exports org.mailhygiene.testkit.dns;
    exports org.mailhygiene.testkit.junit;
    exports org.mailhygiene.testkit.milter;
    exports org.mailhygiene.testkit.postfix;
    exports org.mailhygiene.testkit.redis;
    exports org.mailhygiene.testkit.server;
    exports org.mailhygiene.testkit.spamd;
    exports org.mailhygiene.testkit.tls;
    exports org.mailhygiene.testkit.smtp;
}
