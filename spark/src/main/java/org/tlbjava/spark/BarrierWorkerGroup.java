package org.tlbjava.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.spark.BarrierTaskContext;
import org.tlbjava.train.TrainingListener;
import org.tlbjava.train.WorkerGroup;

/**
 * The tasks of one barrier stage as a {@link WorkerGroup}: the task of partition p is worker p. A
 * message goes either through the driver, by {@link BarrierTaskContext#allGather}, which answers
 * once every task has sent its own, with all of them in partition order (it carries strings, so a
 * message travels as Base64, 4 characters for 3 bytes); or straight between the tasks
 * ({@link DirectExchange}).
 *
 * <p>It also measures itself, as a listener of the run: the exchanges made during an epoch's
 * steps (the gradients and each micro-batch's loss) against the steps' own time.
 */
final class BarrierWorkerGroup implements WorkerGroup, TrainingListener, AutoCloseable {
    private final BarrierTaskContext context;
    /** The tasks' own connections; null when messages go through the driver. */
    private final DirectExchange direct;
    private long stepNanos;
    private long stepCount;
    private long epochStart;
    private boolean inSteps;
    private final Traffic steps = new Traffic();
    private final Traffic other = new Traffic();

    /** What went through allGather: calls, bytes (Base64 characters through the driver) sent by this task and received, and their time. */
    static final class Traffic {
        long calls;
        long sent;
        long received;
        long nanos;
    }

    /** The stage's tasks, exchanging through the driver or, when {@code direct}, over their own connections. */
    BarrierWorkerGroup(BarrierTaskContext context, boolean direct) throws IOException {
        this.context = context;
        this.direct = direct ? new DirectExchange(context) : null;
    }

    @Override
    public int rank() {
        return context.partitionId();
    }

    @Override
    public int size() {
        return context.getTaskInfos().length;
    }

    /**
     * {@inheritDoc} A task Spark has killed ends here with Spark's TaskKilledException: a killed
     * task's allGather still answers (after a second's wait), so without this check it would
     * train on as a zombie until its end.
     */
    @Override
    public List<byte[]> allGather(byte[] message) {
        context.killTaskIfInterrupted();
        Traffic e = inSteps ? steps : other;
        long start = System.nanoTime();
        List<byte[]> all;
        if (direct != null) {
            all = direct.allGather(message);
            e.sent += (long) message.length * (size() - 1);
            e.received += all.stream().mapToLong(m -> m.length).sum() - message.length;
        } else {
            String encoded = Base64.getEncoder().encodeToString(message);
            String[] strings = context.allGather(encoded);
            context.killTaskIfInterrupted();
            all = new ArrayList<>(strings.length);
            for (String m : strings) {
                e.received += m.length();
                all.add(Base64.getDecoder().decode(m.getBytes(StandardCharsets.ISO_8859_1)));
            }
            e.sent += encoded.length();
        }
        e.nanos += System.nanoTime() - start;
        e.calls++;
        return all;
    }

    @Override
    public void close() {
        if (direct != null) {
            direct.close();
        }
    }

    @Override
    public void epochStarted(int epoch, int epochs, int count) {
        epochStart = System.nanoTime();
        inSteps = true;
    }

    @Override
    public void stepFinished(Step step) {
        stepCount++;
        if (step.step() == step.steps()) {
            stepNanos += System.nanoTime() - epochStart;
            inSteps = false;
        }
    }

    /**
     * One task's measurements: the optimizer steps it took and their milliseconds, the exchanges
     * made during them (calls, Base64 characters sent and received, milliseconds), and the others
     * (validation's results) with their milliseconds.
     */
    record Report(int rank, int tasks, long steps, double stepMs, long stepCalls, long sent, long received,
            double exchangeMs, long otherCalls, double otherMs) implements Serializable {
        /** One line for the driver's output: per step, what this task sent and waited for. */
        String describe() {
            if (steps == 0) {
                return "no steps";
            }
            return String.format(Locale.ROOT, "%d steps; per step %.1f exchanges, %.2f MB sent by each task and"
                    + " %.2f MB received, %.1f ms exchanging of %.1f ms (%.0f%%); validation exchanges %.0f ms",
                    steps, stepCalls / (double) steps, sent / 1e6 / steps, received / 1e6 / steps, exchangeMs / steps,
                    stepMs / steps, 100 * exchangeMs / stepMs, otherMs);
        }
    }

    /** This task's measurements so far. */
    Report report() {
        return new Report(rank(), size(), stepCount, stepNanos / 1e6, steps.calls, steps.sent, steps.received,
                steps.nanos / 1e6, other.calls, other.nanos / 1e6);
    }
}
