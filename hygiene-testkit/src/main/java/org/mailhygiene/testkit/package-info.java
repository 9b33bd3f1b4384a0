/** Fakes, sample messages, JUnit 5 extensions and contract tests for Mail Hygiene. */
package org.mailhygiene.testkit;
