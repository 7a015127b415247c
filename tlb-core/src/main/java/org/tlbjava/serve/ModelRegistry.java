package org.tlbjava.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tlbjava.TlbException;

/**
 * The runs a server shows and the models it serves: every run directory directly inside a runs
 * directory, plus runs named one by one. A run is known by its directory's name; a name is only
 * ever looked up among these, never joined onto a path, so no name can reach outside them.
 * Models are loaded on first use and follow their run: when {@code model.params} changes (a
 * resumed or replaced run) the next request loads it again, and a run that is gone is forgotten.
 */
public final class ModelRegistry implements AutoCloseable {
    /** Any directory name but hidden ones (a leading '.') and those with control characters; URLs encode the rest. */
    private static final Pattern NAME = Pattern.compile("[^.\\p{Cntrl}][^\\p{Cntrl}]{0,127}");
    private static final String NAME_RULE = "names that start with '.', hold control characters or are longer than"
            + " 128 characters are not served";
    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    /** A model and the weights it was loaded from. */
    private static final class Loaded {
        final ServedModel model;
        Stamp stamp;
        final String sha256;

        Loaded(ServedModel model, Stamp stamp, String sha256) {
            this.model = model;
            this.stamp = stamp;
            this.sha256 = sha256;
        }
    }

    /** What a stat says of a file: a rewrite (AtomicFiles renames a new file into place) changes it. */
    private record Stamp(Object fileKey, long size, FileTime modified) {
        static Stamp of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new Stamp(a.fileKey(), a.size(), a.lastModifiedTime());
        }
    }

    private final Path runsDir;
    private final Map<String, Path> named = new LinkedHashMap<>();
    private final ServeLimits limits;
    private final Map<String, Loaded> loaded = new LinkedHashMap<>();
    private final Set<String> skipped = ConcurrentHashMap.newKeySet();

    /**
     * @param runsDir directory of run directories, or null
     * @param runs single run directories served besides those in {@code runsDir}
     */
    public ModelRegistry(Path runsDir, List<Path> runs, ServeLimits limits) {
        this.runsDir = runsDir;
        this.limits = limits;
        if (runsDir != null && !Files.isDirectory(runsDir)) {
            throw new TlbException("--runs " + runsDir + " is not a directory");
        }
        for (Path run : runs) {
            if (!Files.isRegularFile(run.resolve("config.json"))) {
                throw new TlbException("--model " + run + " is not a tlb run directory: it has no config.json");
            }
            String name = run.toAbsolutePath().normalize().getFileName().toString();
            if (!NAME.matcher(name).matches()) {
                throw new TlbException("--model " + run + ": the directory name cannot be served (" + NAME_RULE + ")");
            }
            if (named.put(name, run) != null) {
                throw new TlbException("--model " + run + ": another --model is also named '" + name + "'");
            }
        }
    }

    /** Every run, by name: the named ones first, then the runs directory's in name order. Models of runs gone are let go. */
    public List<RunInfo> runs() {
        List<RunInfo> runs = new ArrayList<>();
        named.forEach((name, dir) -> runs.add(new RunInfo(name, dir)));
        for (String name : runsDirNames()) {
            if (!named.containsKey(name)) {
                runs.add(new RunInfo(name, runsDir.resolve(name)));
            }
        }
        forgetAllBut(runs.stream().map(RunInfo::name).collect(Collectors.toSet()));
        return runs;
    }

    private List<String> runsDirNames() {
        if (runsDir == null) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(runsDir)) {
            return children.filter(dir -> Files.isRegularFile(dir.resolve("config.json")))
                    .map(dir -> dir.getFileName().toString())
                    .filter(this::servable)
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new TlbException("cannot list " + runsDir + ": " + e.getMessage());
        }
    }

    /** Whether a run directory's name can be served; the first time one cannot, the log says so. */
    private boolean servable(String name) {
        if (NAME.matcher(name).matches()) {
            return true;
        }
        if (skipped.add(name)) {
            LOG.warn("{}: the run directory '{}' is not served: {}", runsDir, name.replaceAll("\\p{Cntrl}", "?"), NAME_RULE);
        }
        return false;
    }

    /** The run called {@code name}; 404 when there is none. */
    public RunInfo run(String name) {
        if (name != null && NAME.matcher(name).matches()) {
            if (named.containsKey(name)) {
                return new RunInfo(name, named.get(name));
            }
            if (runsDirNames().contains(name)) {
                return new RunInfo(name, runsDir.resolve(name));
            }
        }
        throw ApiError.notFound("no run or model named '" + name + "'");
    }

    /**
     * The model of run {@code name} for one request, loaded on first use and again when its
     * {@code model.params} has changed: a stat each call, the checksum only when the stat differs
     * (a file touched but not changed is not reloaded).
     */
    synchronized ServedModel.Use use(String name) {
        RunInfo run;
        Path weights;
        try {
            run = run(name);
            weights = run.modelFile();
        } catch (ApiError | RunInfo.Unreadable e) {
            forget(name);
            throw e;
        }
        if (weights == null) {
            forget(name);
            throw noModelYet(name);
        }
        try {
            Stamp stamp = Stamp.of(weights);
            Loaded current = loaded.get(name);
            if (current != null && !current.stamp.equals(stamp)) {
                if (current.sha256.equals(sha256(weights))) {
                    current.stamp = stamp;
                } else {
                    forget(name);
                    current = null;
                }
            }
            if (current == null) {
                String sha256 = sha256(weights); // before loading: a change while it loads is seen next time
                current = new Loaded(ServedModel.load(run, limits), stamp, sha256);
                loaded.put(name, current);
            }
            return current.model.use();
        } catch (NoSuchFileException deletedJustNow) {
            forget(name);
            throw noModelYet(name);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ApiError noModelYet(String name) {
        return ApiError.notFound("run '" + name + "' has no trained model yet (no epoch has finished)");
    }

    private static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private synchronized void forgetAllBut(Set<String> names) {
        List.copyOf(loaded.keySet()).stream().filter(name -> !names.contains(name)).forEach(this::forget);
    }

    private void forget(String name) {
        Loaded gone = loaded.remove(name);
        if (gone != null) {
            gone.model.retire();
        }
    }

    /** The loaded models none of whose workers is running any more. */
    public synchronized List<String> stopped() {
        return loaded.entrySet().stream().filter(e -> !e.getValue().model.running()).map(Map.Entry::getKey).toList();
    }

    @Override
    public synchronized void close() {
        loaded.values().forEach(l -> l.model.free());
        loaded.clear();
    }
}
