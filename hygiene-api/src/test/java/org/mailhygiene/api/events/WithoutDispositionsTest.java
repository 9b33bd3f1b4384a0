package org.mailhygiene.api.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.MessageContent;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.Verdict;
import org.mailhygiene.api.policy.DefaultPolicy;
import org.mailhygiene.api.policy.Disposition;

class WithoutDispositionsTest {
    /** Every event but the disposition reaches the listener behind the filter. */
    @Test
    void everyEventButTheDispositionIsPassedOn() {
        List<String> seen = new ArrayList<>();
        HygieneListener recorder = new HygieneListener() {
            @Override
            public void scanStarted(String scanner, Message message) {
                seen.add("started " + scanner);
            }

            @Override
            public void scanFinished(Verdict verdict, Message message) {
                seen.add("finished " + verdict.scanner());
            }

            @Override
            public void scanFailed(ScanFailure failure, Message message) {
                seen.add("failed " + failure.scanner());
            }

            @Override
            public void cacheHit(Verdict verdict, Message message) {
                seen.add("hit " + verdict.scanner());
            }

            @Override
            public void disposition(Disposition disposition, Message message) {
                seen.add("disposition");
            }

            @Override
            public void failover(String group, String from, String to, String reason) {
                seen.add("failover " + group);
            }

            @Override
            public void memberDown(String group, String member, String reason, Duration backoff) {
                seen.add("down " + member);
            }

            @Override
            public void memberUp(String group, String member) {
                seen.add("up " + member);
            }

            @Override
            public void signatureUpdate(String updater, boolean success, String detail, Duration elapsed) {
                seen.add("update " + updater);
            }
        };
        HygieneListener filter = HygieneListener.withoutDispositions(recorder);
        Message m = Message.of(
                MessageContent.ofString("Subject: x\r\n\r\nx\r\n", java.nio.charset.StandardCharsets.US_ASCII));
        Verdict clean = Verdict.clean("a", Duration.ZERO);
        filter.scanStarted("a", m);
        filter.scanFinished(clean, m);
        filter.scanFailed(new ScanFailure("b", ScanFailure.Kind.UNAVAILABLE, "down", Duration.ZERO), m);
        filter.cacheHit(clean, m);
        filter.disposition(DefaultPolicy.defaults().decide(List.of(clean)), m);
        filter.failover("g", "a", "b", "why");
        filter.memberDown("g", "a", "why", Duration.ofSeconds(1));
        filter.memberUp("g", "a");
        filter.signatureUpdate("freshclam", true, "ok", Duration.ZERO);
        assertThat(seen)
                .containsExactly(
                        "started a",
                        "finished a",
                        "failed b",
                        "hit a",
                        "failover g",
                        "down a",
                        "up a",
                        "update freshclam");
    }

    /** An event added to the interface later must be passed on too: the filter overrides every one but the disposition. */
    @Test
    void theFilterOverridesEveryEventOfTheInterfaceButTheDisposition() {
        Class<?> filter =
                HygieneListener.withoutDispositions(new HygieneListener() {}).getClass();
        for (Method m : HygieneListener.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getName().equals("disposition")) {
                continue;
            }
            assertThat(m.getDeclaringClass()).as(m.getName()).isEqualTo(HygieneListener.class);
            boolean overridden;
            try {
                overridden = filter.getDeclaredMethod(m.getName(), m.getParameterTypes()) != null;
            } catch (NoSuchMethodException e) {
                overridden = false;
            }
            assertThat(overridden)
                    .as("withoutDispositions passes on " + m.getName())
                    .isTrue();
        }
    }
}
