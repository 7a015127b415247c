package org.tlbjava.train;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.tlbjava.TlbException;
import org.tlbjava.io.AtomicFiles;

/**
 * {@code progress.json}: where a run is, rewritten atomically as it trains (when an epoch starts,
 * after its last step, when it is validated, and every few seconds between), so that a page can
 * show a live run's step, running loss and ETA. It also keeps when the run first started, how long
 * it has trained over all its sessions, and the process training it (pid and host), so that a
 * reader can tell a killed run from a live one.
 */
public final class RunProgress implements TrainingListener {
    public static final String FILE = "progress.json";
    public static final String TRAINING = "training";
    public static final String FINISHED = "finished";
    public static final String STOPPED = "stopped";
    /** How often, at most, a step rewrites the file: often enough for a page, rarely enough to cost nothing. */
    private static final long EVERY_NANOS = 2_000_000_000L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static String host;

    /**
     * What the file holds. {@code state}: training, finished or stopped; {@code phase}: train or
     * validate; times are ISO-8601 instants; {@code seconds} of training over every session;
     * {@code secondsLeft} until the run ends, -1 while unknown.
     */
    public record Snapshot(String state, String phase, String started, String updated, double seconds, long pid,
            String host, int epoch, int epochs, int step, int steps, double loss, double accuracy,
            @JsonProperty("seconds_left") double secondsLeft) {}

    private final Path file;
    private final String started;
    private final double earlierSeconds;
    private final long sessionStart = System.nanoTime();
    private long lastWrite;
    private Snapshot last;

    /** Continues the file in {@code runDir}, keeping its start time and training time, or begins one. */
    public RunProgress(Path runDir) {
        file = runDir.resolve(FILE);
        Snapshot before = read(runDir);
        started = before != null ? before.started() : Instant.now().toString();
        earlierSeconds = before != null ? before.seconds() : 0;
    }

    /** The run's progress file, or null when it has none or it cannot be read (progress is never worth a failure). */
    public static Snapshot read(Path runDir) {
        try {
            return JSON.readValue(Files.readString(runDir.resolve(FILE)), Snapshot.class);
        } catch (IOException e) {
            return null;
        }
    }

    /** This machine's name, as the file records it. */
    public static synchronized String host() {
        if (host == null) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "unknown";
            }
        }
        return host;
    }

    @Override
    public void epochStarted(int epoch, int epochs, int steps) {
        double left = last == null ? -1 : last.secondsLeft();
        write(new Snapshot(TRAINING, "train", started, null, 0, 0, null, epoch, epochs, 0, steps, 0, 0, left));
    }

    @Override
    public void stepFinished(Step step) {
        boolean lastStep = step.step() == step.steps();
        Snapshot now = new Snapshot(TRAINING, lastStep ? "validate" : "train", started, null, 0, 0, null, step.epoch(),
                last.epochs(), step.step(), step.steps(), step.loss(), step.accuracy(), step.secondsLeft());
        if (lastStep || System.nanoTime() - lastWrite >= EVERY_NANOS) {
            write(now);
        } else {
            last = now;
        }
    }

    @Override
    public void epochFinished(EpochRecord record, boolean best) {
        write(with(last, TRAINING, "train"));
    }

    /**
     * The session ends: the run finished, or stopped (asked to, or failed). Nothing is written when
     * this session never trained (another process holds the run, say); a failure to write leaves a
     * "training" file whose process is gone, which readers take for a stopped run.
     */
    public void ended(boolean finished) {
        if (last == null) {
            return;
        }
        try {
            write(with(last, finished ? FINISHED : STOPPED, last.phase()));
        } catch (TlbException e) {
            // see above
        }
    }

    private static Snapshot with(Snapshot s, String state, String phase) {
        return new Snapshot(state, phase, s.started(), null, 0, 0, null, s.epoch(), s.epochs(), s.step(), s.steps(),
                s.loss(), s.accuracy(), s.secondsLeft());
    }

    /** Writes {@code s} stamped with the time, the training time so far and this process. */
    private void write(Snapshot s) {
        lastWrite = System.nanoTime();
        last = new Snapshot(s.state(), s.phase(), started, Instant.now().toString(),
                earlierSeconds + (lastWrite - sessionStart) / 1e9, ProcessHandle.current().pid(), host(), s.epoch(),
                s.epochs(), s.step(), s.steps(), s.loss(), s.accuracy(), s.secondsLeft());
        try {
            AtomicFiles.writeString(file, JSON.writeValueAsString(last) + "\n");
        } catch (IOException e) {
            throw new TlbException("cannot write " + file + ": " + e.getMessage());
        }
    }
}
