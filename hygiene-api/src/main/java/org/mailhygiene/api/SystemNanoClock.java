package org.mailhygiene.api;

/** {@link NanoClock#system()}: a named singleton, so it prints and compares sensibly. */
enum SystemNanoClock implements NanoClock {
    INSTANCE;

    @Override
    public long nanoTime() {
        return System.nanoTime();
    }

    @Override
    public String toString() {
        return "NanoClock.system()";
    }
}
