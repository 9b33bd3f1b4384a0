/** A private {@code redis-server} on loopback for tests that share state through Redis. */
package org.mailhygiene.testkit.redis;
