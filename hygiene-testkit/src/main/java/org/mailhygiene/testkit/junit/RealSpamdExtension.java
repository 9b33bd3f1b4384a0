package org.mailhygiene.testkit.junit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.mailhygiene.internal.FileTrees;
import org.mailhygiene.testkit.spamd.RealSpamd;

/**
 * Starts one real spamd per test class ({@link RealSpamd}: free port on 127.0.0.1, shipped rules, no network tests)
 * before the first test and stops it after the last, also when tests fail. Tests receive it as a {@link RealSpamd}
 * parameter (of test methods, lifecycle methods or the constructor).
 *
 * <p>Without an installed spamd every test of the class is skipped with the reason, except under {@code CI=true},
 * where they fail ({@link RealBinaries#require(String, String)}). spamd is slow (about 2 s to start, about 0.2 s of CPU
 * per message), so keep real-daemon tests few and share the instance.
 *
 * <p>Register with {@code @ExtendWith(RealSpamdExtension.class)} for the defaults (2 children), or with
 * {@code @RegisterExtension static RealSpamdExtension spamd = new RealSpamdExtension(4, "--allow-tell")}.
 */
public final class RealSpamdExtension implements BeforeAllCallback, AfterAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(RealSpamdExtension.class);

    private final int maxChildren;
    private final List<String> extraArgs;

    /** Two children, no extra options. */
    public RealSpamdExtension() {
        this(2);
    }

    /**
     * Custom settings.
     *
     * @param maxChildren spamd's {@code --max-children}, at least 1
     * @param extraArgs further spamd options, e.g. {@code --allow-tell}
     * @throws IllegalArgumentException if {@code maxChildren} is below 1
     */
    public RealSpamdExtension(int maxChildren, String... extraArgs) {
        if (maxChildren < 1) {
            throw new IllegalArgumentException("maxChildren must be at least 1");
        }
        this.maxChildren = maxChildren;
        this.extraArgs = List.of(extraArgs);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Path spamd = RealBinaries.require("spamd", "spamd");
        Path dir = Files.createTempDirectory("real-spamd-");
        context.getStore(NS).put("dir", dir);
        context.getStore(NS).put("spamd", RealSpamd.start(spamd, dir, maxChildren, new ArrayList<>(extraArgs)));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        RealSpamd spamd = context.getStore(NS).remove("spamd", RealSpamd.class);
        Path dir = context.getStore(NS).remove("dir", Path.class);
        try {
            if (spamd != null) {
                spamd.stop();
            }
        } finally {
            if (dir != null) {
                FileTrees.deleteTree(dir);
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == RealSpamd.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        RealSpamd spamd = extensionContext.getStore(NS).get("spamd", RealSpamd.class);
        if (spamd == null) {
            throw new ParameterResolutionException("RealSpamdExtension started no spamd for this class");
        }
        return spamd;
    }
}
