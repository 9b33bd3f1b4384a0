/**
 * Test doubles for code that uses Mail Hygiene: scripted scanners, protocol-level fake daemons, sample messages and
 * clocks, a forwarding token store to intercept shared-state calls. Fakes are named by behaviour and scripted like OkHttp's MockWebServer.
 */
package org.mailhygiene.testkit;
