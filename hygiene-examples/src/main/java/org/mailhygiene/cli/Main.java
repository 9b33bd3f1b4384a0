package org.mailhygiene.cli;

/** Placeholder command-line entry point of {@code hygiene.jar}. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.out.println("usage: hygiene <command> [options]");
        System.out.println();
        System.out.println("commands:");
        System.out.println("  demo    run the end-to-end demo (not implemented yet)");
    }
}
