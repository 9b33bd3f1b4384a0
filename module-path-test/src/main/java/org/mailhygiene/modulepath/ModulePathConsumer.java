package org.mailhygiene.modulepath;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleReader;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.mailhygiene.api.Message;
import org.mailhygiene.api.ScanFailure;
import org.mailhygiene.api.policy.Action;
import org.mailhygiene.api.policy.Disposition;
import org.mailhygiene.scanners.ScanPipeline;
import org.mailhygiene.scanners.ScanReport;
import org.mailhygiene.scanners.attachments.AttachmentPolicyScanner;
import org.mailhygiene.scanners.clamd.ClamdScanner;
import org.mailhygiene.smtp.Relay;
import org.mailhygiene.testkit.SampleMessages;
import org.mailhygiene.testkit.clamd.FakeClamd;

/**
 * Scans the sample messages with the attachment policy and a {@link ClamdScanner} against a {@link FakeClamd}, as a
 * module-path application, and checks the dispositions (the clean message is accepted, the EICAR attachment rejected)
 * and that no scanner failed; also that the project's internal helper package is not exported to this application
 * and that no public signature of hygiene-api, hygiene-scanners or hygiene-testkit names one of its types; and that
 * every type a public signature of hygiene-api, hygiene-scanners, hygiene-smtp or hygiene-testkit names is readable by
 * an application that requires only that module (its module {@code requires transitive} the module of the type).
 * Exits 0 when every expectation held, 1 otherwise (printing what happened), so the build fails on any defect that
 * only shows on the module path.
 */
public final class ModulePathConsumer {
    private static final String INTERNAL = "org.mailhygiene.internal";

    private ModulePathConsumer() {}

    /**
     * Runs the check.
     *
     * @param args ignored
     * @throws IOException if the fake clamd cannot start
     * @throws InterruptedException if interrupted
     */
    public static void main(String[] args) throws IOException, InterruptedException {
        List<String> problems = new ArrayList<>();
        // Prove that this really runs on the module path: on the class path every module would be unnamed.
        for (Class<?> c : List.of(ModulePathConsumer.class, ScanPipeline.class, Message.class, FakeClamd.class)) {
            if (!c.getModule().isNamed()) {
                problems.add(c.getName() + " is in the unnamed module: not running on the module path");
            }
        }
        internalPackageStaysInternal(problems);
        signatureTypesAreReadable(problems);
        try (FakeClamd clamd = FakeClamd.start();
                ScanPipeline pipeline = ScanPipeline.builder()
                        .scanner(AttachmentPolicyScanner.create())
                        .scanner(ClamdScanner.builder()
                                .address(clamd.tcpAddress())
                                .scanDeadline(Duration.ofSeconds(60))
                                .build())
                        .build()) {
            expect(problems, "clean", pipeline.scan(SampleMessages.cleanMessage()), Action.ACCEPT);
            expect(problems, "eicar-attachment", pipeline.scan(SampleMessages.eicarAttachmentMessage()), Action.REJECT);
        }
        if (problems.isEmpty()) {
            System.out.println("module path: all expectations held");
            return;
        }
        problems.forEach(p -> System.out.println("module path: FAILED: " + p));
        System.exit(1);
    }

    /**
     * {@code org.mailhygiene.internal} (hygiene-api) is exported only to the project's modules: not to this
     * application, and no public or protected signature in a package the project exports to everyone names one of
     * its types (a user would be handed a type it cannot use).
     */
    private static void internalPackageStaysInternal(List<String> problems) throws IOException {
        Module api = Message.class.getModule();
        Module self = ModulePathConsumer.class.getModule();
        if (api.isExported(INTERNAL) || api.isExported(INTERNAL, self)) {
            problems.add(INTERNAL + " is exported to " + self.getName());
        }
        for (Module m : List.of(ScanPipeline.class.getModule(), FakeClamd.class.getModule())) {
            if (!api.isExported(INTERNAL, m)) {
                problems.add(INTERNAL + " is not exported to " + m.getName() + ", which uses it");
            }
        }
        int checked = 0;
        for (Module m : List.of(api, ScanPipeline.class.getModule(), FakeClamd.class.getModule())) {
            ModuleReference ref = ModuleLayer.boot()
                    .configuration()
                    .findModule(m.getName())
                    .orElseThrow()
                    .reference();
            List<String> classes;
            try (ModuleReader reader = ref.open();
                    Stream<String> names = reader.list()) {
                classes = names.filter(n -> n.endsWith(".class") && !n.equals("module-info.class"))
                        .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
                        .toList();
            }
            for (String name : classes) {
                Class<?> c;
                try {
                    c = Class.forName(name, false, m.getClassLoader());
                } catch (ClassNotFoundException | LinkageError e) {
                    continue; // a class whose optional dependency is absent is not API this check can see
                }
                if (!m.isExported(c.getPackageName()) || !isVisible(c)) {
                    continue;
                }
                try {
                    for (String leak : internalTypesIn(c)) {
                        problems.add(c.getName() + " exposes " + leak);
                    }
                    checked++;
                } catch (LinkageError | TypeNotPresentException e) {
                    // a signature names an optional dependency (requires static) that this application leaves out
                    System.out.println("module path: not checked for internal types: " + c.getName() + " (" + e + ")");
                }
            }
        }
        if (checked == 0) {
            problems.add("no exported class was found to check for internal types");
        }
    }

    /**
     * An application that requires one of the published modules can use every public signature of it: each type
     * named there is in that module, in {@code java.base}, in a module it requires {@code static} (optional, such as
     * JUnit for the testkit's extensions: the application adds it when it uses them), or in a module it reads through
     * {@code requires transitive}. Otherwise {@code requires org.mailhygiene.smtp} alone cannot compile
     * {@code Relay.builder().pipeline(...)} ("package org.mailhygiene.scanners is not visible").
     */
    private static void signatureTypesAreReadable(List<String> problems) throws IOException {
        Set<String> missing = new TreeSet<>();
        int checked = 0;
        for (Module m : List.of(
                Message.class.getModule(),
                ScanPipeline.class.getModule(),
                Relay.class.getModule(),
                FakeClamd.class.getModule())) {
            Set<String> readable = impliedReadability(m.getDescriptor());
            for (ModuleDescriptor.Requires r : m.getDescriptor().requires()) {
                if (r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC)) {
                    readable.add(r.name());
                }
            }
            for (Class<?> c : exportedClasses(m)) {
                try {
                    for (Class<?> named : rawTypes(signatureTypes(c))) {
                        Module n = named.getModule();
                        if (n.isNamed() && !readable.contains(n.getName())) {
                            missing.add(m.getName() + " does not require transitive " + n.getName() + ", but "
                                    + c.getName() + " names " + named.getName());
                        }
                    }
                    checked++;
                } catch (LinkageError | TypeNotPresentException e) {
                    // a signature names an optional dependency (requires static) that this application leaves out
                }
            }
        }
        problems.addAll(missing);
        if (checked == 0) {
            problems.add("no exported class was found to check for readable signature types");
        }
    }

    /** The module itself, java.base, and every module it reads through chains of requires transitive. */
    private static Set<String> impliedReadability(ModuleDescriptor descriptor) {
        Set<String> names = new HashSet<>(List.of(descriptor.name(), "java.base"));
        List<ModuleDescriptor> todo = new ArrayList<>(List.of(descriptor));
        while (!todo.isEmpty()) {
            ModuleDescriptor d = todo.remove(todo.size() - 1);
            for (ModuleDescriptor.Requires r : d.requires()) {
                if (r.modifiers().contains(ModuleDescriptor.Requires.Modifier.TRANSITIVE) && names.add(r.name())) {
                    ModuleLayer.boot()
                            .findModule(r.name())
                            .map(Module::getDescriptor)
                            .ifPresent(todo::add);
                }
            }
        }
        return names;
    }

    private static List<Class<?>> exportedClasses(Module m) throws IOException {
        ModuleReference ref = ModuleLayer.boot()
                .configuration()
                .findModule(m.getName())
                .orElseThrow()
                .reference();
        List<String> names;
        try (ModuleReader reader = ref.open();
                Stream<String> all = reader.list()) {
            names = all.filter(n -> n.endsWith(".class") && !n.equals("module-info.class"))
                    .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
                    .toList();
        }
        List<Class<?>> classes = new ArrayList<>();
        for (String name : names) {
            try {
                Class<?> c = Class.forName(name, false, m.getClassLoader());
                if (m.isExported(c.getPackageName()) && isVisible(c)) {
                    classes.add(c);
                }
            } catch (ClassNotFoundException | LinkageError e) {
                // a class whose optional dependency is absent is not API this check can see
            }
        }
        return classes;
    }

    private static Set<Class<?>> rawTypes(List<Type> types) {
        Set<Class<?>> out = new HashSet<>();
        List<Type> todo = new ArrayList<>(types);
        Set<Type> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Type t = todo.remove(todo.size() - 1);
            if (t == null || !seen.add(t)) {
                continue;
            }
            if (t instanceof Class<?> k) {
                while (k.isArray()) {
                    k = k.getComponentType();
                }
                if (!k.isPrimitive()) {
                    out.add(k);
                }
            } else if (t instanceof ParameterizedType p) {
                todo.add(p.getRawType());
                todo.addAll(List.of(p.getActualTypeArguments()));
            } else if (t instanceof GenericArrayType g) {
                todo.add(g.getGenericComponentType());
            } else if (t instanceof WildcardType w) {
                todo.addAll(List.of(w.getUpperBounds()));
                todo.addAll(List.of(w.getLowerBounds()));
            } else if (t instanceof TypeVariable<?> v) {
                todo.addAll(List.of(v.getBounds()));
            }
        }
        return out;
    }

    private static boolean isVisible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            int mod = k.getModifiers();
            if (!Modifier.isPublic(mod) && !Modifier.isProtected(mod)) {
                return false;
            }
        }
        return true;
    }

    private static List<String> internalTypesIn(Class<?> c) {
        List<String> leaks = new ArrayList<>();
        for (Type t : signatureTypes(c)) {
            if (t != null && t.getTypeName().contains(INTERNAL + ".")) {
                leaks.add(t.getTypeName());
            }
        }
        return leaks;
    }

    /** The types a class's public and protected signatures name (supertypes, methods, constructors, fields). */
    private static List<Type> signatureTypes(Class<?> c) {
        List<Type> types = new ArrayList<>();
        types.add(c.getGenericSuperclass());
        types.addAll(List.of(c.getGenericInterfaces()));
        for (Method method : c.getDeclaredMethods()) {
            if (visible(method.getModifiers()) && !method.isSynthetic()) {
                types.add(method.getGenericReturnType());
                types.addAll(List.of(method.getGenericParameterTypes()));
                types.addAll(List.of(method.getGenericExceptionTypes()));
            }
        }
        for (Constructor<?> ctor : c.getDeclaredConstructors()) {
            if (visible(ctor.getModifiers()) && !ctor.isSynthetic()) {
                types.addAll(List.of(ctor.getGenericParameterTypes()));
                types.addAll(List.of(ctor.getGenericExceptionTypes()));
            }
        }
        for (Field field : c.getDeclaredFields()) {
            if (visible(field.getModifiers()) && !field.isSynthetic()) {
                types.add(field.getGenericType());
            }
        }
        return types;
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void expect(List<String> problems, String what, ScanReport report, Action expected) {
        Disposition d = report.disposition();
        System.out.println("module path: " + what + ": " + d.action() + " " + d.reason());
        if (d.action() != expected) {
            problems.add(what + ": expected " + expected + ", got " + d.action() + " (" + d.reason() + ")");
        }
        // A failed scanner can hide behind another's verdict (a virus is rejected whatever the attachment scanner
        // did), so every scanner must have answered.
        for (ScanFailure f : report.failures()) {
            problems.add(what + ": scanner " + f.scanner() + " failed: " + f.kind() + " " + f.detail());
        }
    }
}
