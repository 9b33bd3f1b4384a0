/**
 * Test doubles for code that uses Mail Hygiene: scripted scanners, protocol-level fake daemons, sample messages and
 * clocks. Fakes are named by behaviour and scripted like OkHttp's MockWebServer.
 */
package org.mailhygiene.testkit;
