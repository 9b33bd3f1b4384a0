package org.mailhygiene.smtp.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The lines a node logs when quarantine expiry deleted messages, and when the spool picked up messages handed over by
 * {@code hygiene quarantine release}, named every id: 12,469 expired messages made one INFO line of 274 KB, 1,000
 * released ones one of 22 KB (audit, session 39). They name ten and how many more.
 */
class QueueIdForLogTest {
    private static List<QueueId> ids(int n) {
        List<QueueId> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new QueueId(String.format("0MXBND9GJBQT%08d", i)));
        }
        return out;
    }

    @Test
    void aFewIdsAreNamedAll() {
        assertThat(QueueId.forLog(ids(3)))
                .isEqualTo("[0MXBND9GJBQT00000000, 0MXBND9GJBQT00000001, 0MXBND9GJBQT00000002]");
        assertThat(QueueId.forLog(ids(10))).doesNotContain("more");
        assertThat(QueueId.forLog(List.of())).isEqualTo("[]");
    }

    @Test
    void manyIdsAreNamedTenAndCounted() {
        String line = QueueId.forLog(ids(12_469));
        assertThat(line).startsWith("[0MXBND9GJBQT00000000, ").endsWith("0MXBND9GJBQT00000009, ... and 12459 more]");
        assertThat(line.length()).isLessThan(300);
    }
}
