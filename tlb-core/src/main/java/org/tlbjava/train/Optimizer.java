package org.tlbjava.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.tlbjava.config.RunConfig;
import org.tlbjava.model.TlbModel;

/**
 * One optimizer step of the recipe, from the gradients the workers accumulated: gather them into
 * the model, clip their global norm ({@code grad_clip_norm}), AdamW at the schedule's learning
 * rate, fold the new weights into the average ({@code ema_decay}), copy them to the replicas.
 * Each part runs per parameter, on the workers' threads in parallel ({@link DataParallel#forEachParameter}).
 */
public final class Optimizer {
    private final AdamW adamw;
    private final List<Parameter> params = new ArrayList<>();
    private final LearningRateSchedule schedule;
    private final double clipNorm;
    private final WeightAverage average;

    public Optimizer(RunConfig config, TlbModel model, NDManager manager, int stepsPerEpoch) {
        adamw = config.train().decayWeightsOnly()
                ? new AdamW(model.getParameters(), manager, config.train().weightDecay(), TlbModel::isDecayedWeight)
                : new AdamW(model.getParameters(), manager, config.train().weightDecay());
        for (Pair<String, Parameter> p : model.getParameters()) {
            params.add(p.getValue());
        }
        schedule = LearningRateSchedule.of(config, stepsPerEpoch);
        clipNorm = config.train().gradClipNorm();
        average = config.train().emaDecay() > 0 ? new WeightAverage(model, manager, config.train().emaDecay()) : null;
    }

    /** Applies one step; returns the learning rate it used. */
    public double step(DataParallel workers) {
        double[] squares = new double[params.size()];
        workers.shareGradients();
        workers.forEachParameter(i -> {
            workers.gatherGradient(i);
            if (clipNorm > 0) {
                squares[i] = gradient(i).square().sum().getFloat();
            }
        });
        workers.gradientsGathered();
        float scale = clipScale(squares, clipNorm);
        double learningRate = schedule.at(adamw.steps() + 1);
        AdamW.Step step = adamw.begin(learningRate);
        workers.forEachParameter(i -> {
            if (scale < 1) {
                gradient(i).muli(scale);
            }
            adamw.update(i, step);
            if (average != null) {
                average.update(i, adamw.steps());
            }
            workers.broadcastWeight(i);
        });
        return learningRate;
    }

    /** The factor that brings the gradient's global L2 norm down to {@code clipNorm}; 1 when it is within (or off). */
    static float clipScale(double[] squares, double clipNorm) {
        if (clipNorm <= 0) {
            return 1;
        }
        double sum = 0;
        for (double s : squares) {
            sum += s; // in parameter order, so the norm does not depend on thread timing
        }
        double norm = Math.sqrt(sum);
        return norm > clipNorm ? (float) (clipNorm / norm) : 1f;
    }

    private NDArray gradient(int i) {
        return params.get(i).getArray().getGradient();
    }

    /** The learning rate the next step will use. */
    public double nextLearningRate() {
        return schedule.at(adamw.steps() + 1);
    }

    public long steps() {
        return adamw.steps();
    }

    /** The weight average, or null when {@code ema_decay} is 0. */
    public WeightAverage average() {
        return average;
    }

    /** AdamW's moments, then the weight average's arrays when there is one, for a checkpoint. */
    public NDList state() {
        NDList state = adamw.state();
        if (average != null) {
            state.addAll(average.state());
        }
        return state;
    }

    /** Restores what {@link #state} saved, and the step count. */
    public void restore(NDList state, long steps) {
        int moments = 2 * params.size();
        int expected = moments + (average != null ? params.size() : 0);
        if (state.size() != expected) {
            throw new IllegalArgumentException("optimizer state has " + state.size() + " arrays, expected " + expected);
        }
        adamw.restore(new NDList(state.subList(0, moments)), steps);
        if (average != null) {
            average.restore(state.subList(moments, expected));
        }
    }
}
