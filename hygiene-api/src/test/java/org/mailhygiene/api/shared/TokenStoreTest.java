package org.mailhygiene.api.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenStoreTest {

    @Test
    void aLearnJournalKeyHoldsNoWhiteSpaceOrControlCharacter() {
        assertThat(TokenStore.checkKey("3f1c0a9e5b7d2c4e8f6a1b3c5d7e9f01"))
                .isEqualTo("3f1c0a9e5b7d2c4e8f6a1b3c5d7e9f01");
        assertThat(TokenStore.checkKey("k".repeat(128))).hasSize(128);
        assertThat(TokenStore.checkKey("schön-日本")).isEqualTo("schön-日本");
        // C0, DEL, C1 (NEL among them), and the space characters Character.isWhitespace leaves out
        for (String bad : new String[] {
            "a b",
            "a\tb",
            "a\u0000b",
            "a\u007fb",
            "a\u0080b",
            "a\u0085b",
            "a\u009fb",
            "a\u00a0b",
            "a\u2007b",
            "a\u202fb"
        }) {
            assertThatThrownBy(() -> TokenStore.checkKey(bad))
                    .as("%s", bad.codePointAt(1))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> TokenStore.checkKey("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenStore.checkKey("k".repeat(129))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TokenStore.checkKey(null)).isInstanceOf(NullPointerException.class);
    }

    /**
     * A snapshot of a model of 200,000 tokens holds them all, unmodifiable, and refuses a null count. Until session 52
     * the copy was {@code Map.copyOf}, whose probing runs long for tokens with close hash codes (1.2-4.3 s for this
     * model, most of {@code hygiene learn --redis}'s whole read); its cost is measured in benchmarks/README.md
     * (session 52), not here: a time bound in a unit test fails on a loaded machine.
     */
    @Test
    void aSnapshotOfAModelOf200000TokensHoldsThemAllUnmodifiable() {
        java.util.Map<String, long[]> tokens = new java.util.HashMap<>();
        for (int i = 0; i < 200_000; i++) {
            tokens.put(String.format("fill%07d", i), new long[] {1, 0});
        }
        // copied once more and a few other tokens learned, as a store's tokens come to a reader
        java.util.Map<String, long[]> read = new java.util.HashMap<>(tokens);
        for (int i = 0; i < 76; i++) {
            read.put("tok" + i, new long[] {0, 1});
        }
        TokenStore.Snapshot s = new TokenStore.Snapshot(2, 1, 0, read);
        assertThat(s.tokens()).hasSize(200_076).containsKey("fill0123456").containsKey("tok75");
        assertThatThrownBy(() -> new TokenStore.Snapshot(1, 0, 0, read).tokens().put("x", new long[2]))
                .isInstanceOf(UnsupportedOperationException.class);
        java.util.Map<String, long[]> withNull = new java.util.HashMap<>();
        withNull.put("x", null);
        assertThatThrownBy(() -> new TokenStore.Snapshot(1, 0, 0, withNull)).isInstanceOf(NullPointerException.class);
    }

    /**
     * The map was unmodifiable but its count arrays were the record's own: a reader (or the caller that made the
     * snapshot, after) could write a token's counts, and the next reader of the same snapshot saw them.
     */
    @Test
    void aSnapshotsCountsCannotBeChangedByItsMakerOrItsReaders() {
        long[] counts = {3, 1};
        java.util.Map<String, long[]> made = new java.util.HashMap<>(java.util.Map.of("viagra", counts));
        TokenStore.Snapshot s = new TokenStore.Snapshot(1, 3, 1, made);
        TokenStore.Changes.Delta d = new TokenStore.Changes.Delta(1, 3, 1, made);
        counts[0] = 0;
        for (java.util.Map<String, long[]> read : java.util.List.of(s.tokens(), d.tokens())) {
            read.get("viagra")[0] = 99;
            read.forEach((t, c) -> c[1] = 99);
            read.entrySet().iterator().next().getValue()[0] = 99;
            read.values().iterator().next()[1] = 99;
            assertThat(read.get("viagra")).containsExactly(3, 1);
            assertThatThrownBy(() -> read.entrySet().iterator().next().setValue(new long[2]))
                    .isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> read.keySet().remove("viagra")).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> read.entrySet().clear()).isInstanceOf(UnsupportedOperationException.class);
            assertThatThrownBy(() -> read.remove("viagra")).isInstanceOf(UnsupportedOperationException.class);
        }
    }

    /**
     * A review (session 53): since each reader gets a copy of a count array, the map's hash code (made of its arrays')
     * changed at every call, and a snapshot's hash code with it; a map of the same counts was never equal. Both now go
     * by the counts.
     */
    @Test
    void aSnapshotsHashCodeIsStableAndItsEqualityGoesByTheCounts() {
        TokenStore.Snapshot s = new TokenStore.Snapshot(1, 3, 1, java.util.Map.of("viagra", new long[] {3, 1}));
        TokenStore.Snapshot same = new TokenStore.Snapshot(1, 3, 1, java.util.Map.of("viagra", new long[] {3, 1}));
        TokenStore.Snapshot other = new TokenStore.Snapshot(1, 3, 1, java.util.Map.of("viagra", new long[] {3, 2}));
        assertThat(s.hashCode()).isEqualTo(s.hashCode()).isEqualTo(same.hashCode());
        assertThat(s).isEqualTo(same).isNotEqualTo(other);
        assertThat(s.tokens()).isEqualTo(same.tokens()).isNotEqualTo(other.tokens());
    }
}
