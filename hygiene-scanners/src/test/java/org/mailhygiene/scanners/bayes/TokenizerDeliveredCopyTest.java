package org.mailhygiene.scanners.bayes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mailhygiene.api.Envelope;
import org.mailhygiene.api.MessageContent;

/**
 * A copy that a node delivered, saved from a mailbox and reported by a user, is learned as the node's classifier read
 * it on the mail path ({@link Tokenizer#deliveredThrough}).
 */
class TokenizerDeliveredCopyTest {
    private final Tokenizer tokenizer = Tokenizer.create();

    /** The message as its sender handed it to the edge (the two hops before it included). */
    private static final String SENT = "Received: from mx.sender.example (mx.sender.example [198.51.100.4])\r\n"
            + "\tby relay.isp.example (Postfix) with ESMTP id 4AB; Mon, 7 Dec 2026 10:00:00 +0000\r\n"
            + "Received: from pc ([10.1.2.3]) by mx.sender.example with SMTP; Mon, 7 Dec 2026 09:59:58 +0000\r\n"
            + "From: Pharmacy <deals@pills.example>\r\n"
            + "To: user@corp.example\r\n"
            + "Subject: Cheap pills tonight\r\n"
            + "Date: Mon, 7 Dec 2026 09:59:57 +0000\r\n"
            + "Message-ID: <1@pills.example>\r\n"
            + "\r\n"
            + "Order cheap pills now, discreet shipping, no prescription needed.\r\n";

    /** The edge's own trace field, written on top before it scanned (hygiene-smtp's ReceivedHeader). */
    private static final String EDGE = "Received: from relay.isp.example ([203.0.113.9])\r\n"
            + "\tby edge1.corp.example (mail-hygiene) with ESMTP id 00000001\r\n"
            + "\tfor <user@corp.example>; Mon, 7 Dec 2026 10:00:01 +0000\r\n";

    /** The copy in the user's mailbox: the final delivery's Return-Path, the hops after the edge, the tag. */
    private static final String DELIVERED = "Return-Path: <bounce@pills.example>\r\n"
            + "Received: from gateway.corp.example ([10.0.0.2]) by mail.corp.example (Postfix) with ESMTP id 77;"
            + " Mon, 7 Dec 2026 10:00:03 +0000\r\n"
            + "Received: from edge1.corp.example ([10.0.0.1])\r\n"
            + "\tby gateway.corp.example (mail-hygiene) with ESMTP id 00000002; Mon, 7 Dec 2026 10:00:02 +0000\r\n"
            + EDGE
            + "X-Spam-Flag: YES\r\n"
            + SENT.replace("Subject: Cheap pills tonight", "Subject: [SPAM] Cheap pills tonight");

    /** The envelope the edge received the message with. */
    private static Envelope edgeEnvelope() throws Exception {
        return new Envelope(
                Optional.of(InetAddress.getByName("203.0.113.9")),
                Optional.of("relay.isp.example"),
                "bounce@pills.example",
                List.of("user@corp.example"),
                Instant.parse("2026-12-07T10:00:01Z"));
    }

    private static MessageContent content(String s) {
        return MessageContent.ofBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aDeliveredCopyIsReadAsTheNodeReadItOnTheMailPath() throws Exception {
        Envelope envelope = edgeEnvelope();
        Set<String> onTheMailPath = tokenizer.receivedAs(envelope).tokenize(content(EDGE + SENT));
        Tokenizer delivered = tokenizer.deliveredThrough("EDGE1.corp.example", "[SPAM]");

        assertThat(delivered.isDeliveredThrough(content(DELIVERED))).isTrue();
        assertThat(delivered.tokenize(content(DELIVERED))).containsExactlyInAnyOrderElementsOf(onTheMailPath);
        // read as a plain file, the copy gave other tokens: the later hops, the edge's own field, the tag
        Set<String> asFile = tokenizer.tokenize(content(DELIVERED));
        assertThat(asFile).isNotEqualTo(onTheMailPath);
        assertThat(onTheMailPath).doesNotContain("subject:spam");
        assertThat(asFile).contains("subject:spam");
    }

    @Test
    void theGatewaysCopyIsReadAsTheGatewayReadIt() throws Exception {
        // the gateway read the edge's field as the hop before it, and the Subject as the edge had tagged it
        Set<String> gateway =
                tokenizer.deliveredThrough("gateway.corp.example", "[SPAM]").tokenize(content(DELIVERED));
        Set<String> edge =
                tokenizer.deliveredThrough("edge1.corp.example", "[SPAM]").tokenize(content(DELIVERED));
        assertThat(gateway).isNotEqualTo(edge).contains("received-ip:203.0.113");
        assertThat(edge).doesNotContain("received-ip:203.0.113", "received-ip:10.0.0");
    }

    @Test
    void behindAMilterThePostfixInFrontOfItIsTheNode() throws Exception {
        // Postfix does not show a milter its own trace field: the milter read the message from the hop before on
        String postfix = "Received: from relay.isp.example (relay.isp.example [203.0.113.9])\r\n"
                + "\tby MX.corp.example (Postfix) with ESMTPS id 4Xyz1;\r\n\tMon, 7 Dec 2026 10:00:01 +0000 (UTC)\r\n";
        String delivered = DELIVERED.replace(EDGE, postfix);
        Set<String> read =
                tokenizer.deliveredThrough("mx.corp.example", "[SPAM]").tokenize(content(delivered));
        Envelope envelope = Envelope.of("bounce@pills.example", List.of("user@corp.example"));
        assertThat(read)
                .containsExactlyInAnyOrderElementsOf(
                        tokenizer.receivedAs(envelope).tokenize(content(SENT)));
        // a host that only begins so is another host
        assertThat(tokenizer.deliveredThrough("mx.corp", null).isDeliveredThrough(content(delivered)))
                .isFalse();
    }

    @Test
    void aFieldTheSenderWroteBelowTheNodesOwnHidesNothing() throws Exception {
        // a sender's forged field of the node's form lies below the node's real one: only the topmost counts
        String forged = "Received: from x ([192.0.2.1]) by edge1.corp.example (mail-hygiene) with ESMTP id 9;"
                + " Mon, 7 Dec 2026 09:00:00 +0000\r\n";
        String delivered = DELIVERED.replace(EDGE, EDGE + forged);
        Set<String> tokens =
                tokenizer.deliveredThrough("edge1.corp.example", null).tokenize(content(delivered));
        assertThat(tokens).contains("received-count:3", "received-ip:192.0.2").doesNotContain("received-ip:203.0.113");
    }

    @Test
    void aCopyWithoutTheNodesFieldIsToldAndReadWhole() throws Exception {
        Tokenizer other = tokenizer.deliveredThrough("edge2.corp.example", "[SPAM]");
        assertThat(other.isDeliveredThrough(content(DELIVERED))).isFalse();
        assertThat(other.tokenize(content(DELIVERED))).isEqualTo(tokenizer.tokenize(content(DELIVERED)));
        assertThat(tokenizer.isDeliveredThrough(content(DELIVERED))).isTrue();
    }

    @Test
    void theTagIsTakenOnlyFromTheStartOfTheSubject() throws Exception {
        Tokenizer delivered = tokenizer.deliveredThrough("edge1.corp.example", "[SPAM]");
        for (String subject : List.of("Cheap [SPAM] pills", "[SPAM]Cheap pills", "[spam] cheap pills")) {
            String own = DELIVERED.replace("Subject: [SPAM] Cheap pills tonight", "Subject: " + subject);
            List<String> read = subjectTokens(delivered.tokenize(content(own)));
            assertThat(read).as(subject).isEqualTo(subjectTokens(tokenizer.tokenize(content(own))));
            assertThat(read)
                    .as(subject)
                    .anyMatch(t -> t.toLowerCase(java.util.Locale.ROOT).contains("spam"));
        }
    }

    /**
     * Review, session 55: a Subject that already begins with the tag is left alone by the node ({@code MessageTagger}
     * does not stack tags), so when the node did not tag the message (its own {@code X-Spam-Flag: NO}, written on every
     * message it judged clean, a sender's field of that name renamed) the tag is the sender's, and the node read it.
     * It was taken off: measured through a real relay, the delivered copy of a clean "[SPAM] filter report" was
     * learned as another message than the one sent (the journal took the file as sent as new).
     */
    @Test
    void aTagTheSenderWroteStaysWhenTheNodeSaysItDidNotTag() throws Exception {
        String sent = SENT.replace("Subject: Cheap pills tonight", "Subject: [SPAM] filter report");
        String clean = DELIVERED
                .replace("X-Spam-Flag: YES", "X-Spam-Flag: NO")
                .replace("Subject: [SPAM] Cheap pills tonight", "Subject: [SPAM] filter report");
        Envelope envelope = edgeEnvelope();
        Tokenizer delivered = tokenizer.deliveredThrough("edge1.corp.example", "[SPAM]");
        assertThat(delivered.tokenize(content(clean)))
                .containsExactlyInAnyOrderElementsOf(
                        tokenizer.receivedAs(envelope).tokenize(content(EDGE + sent)));
        // the node's YES: the node tagged it (a sender's own flag would have been renamed X-Spam-Original-Flag)
        String tagged = clean.replace("X-Spam-Flag: NO", "X-Spam-Flag: YES")
                .replace("Subject: [SPAM] filter report", "Subject: [SPAM] Cheap pills tonight");
        assertThat(subjectTokens(delivered.tokenize(content(tagged)))).noneMatch(t -> t.contains("spam"));
        // the edge tagged it, the gateway behind it judged it clean (renaming the edge's flag): the tag is the edge's
        String gatewayClean = tagged.replace("X-Spam-Flag: YES", "X-Spam-Original-Flag: YES\r\nX-Spam-Flag: NO");
        assertThat(subjectTokens(delivered.tokenize(content(gatewayClean)))).noneMatch(t -> t.contains("spam"));
    }

    private static List<String> subjectTokens(Set<String> tokens) {
        return tokens.stream().filter(t -> t.startsWith("subject")).sorted().toList();
    }

    @Test
    void hostAndTagAreChecked() {
        assertThatThrownBy(() -> tokenizer.deliveredThrough(" ", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tokenizer.deliveredThrough("edge (mail-hygiene)", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tokenizer.deliveredThrough("edge", "[SPAM]\r\nBcc: x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(tokenizer.deliveredThrough("Edge", "[SPAM]").identity())
                .isNotEqualTo(tokenizer.identity())
                .contains("delivered-by:edge/[SPAM]");
    }
}
