/** JUnit 5 support: extensions that start fakes and real daemons, and helpers for tests that need installed programs. */
package org.mailhygiene.testkit.junit;
