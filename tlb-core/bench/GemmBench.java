package org.tlbjava.model;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * GFLOP/s of model.Gemm, single thread, on the products of training a small transformer (128-image
 * micro-batches, 1024 token rows), against a naive i-p-j loop. Run from the repository root after
 * {@code mvn -B -q compile -pl tlb-core}:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp tlb-core/target/classes tlb-core/bench/GemmBench.java [SECONDS_PER_REPEAT [FILTER]]
 * </pre>
 * FILTER keeps the shapes whose "name MxNxK" contains it (e.g. {@code 1024x}).
 * Each figure is the median of 9 repeats (each at least SECONDS_PER_REPEAT, default 0.1 s, of the
 * thread's CPU time, calls back to back) after 2.5 s of warm-up over every shape; B/call is what a
 * Gemm call allocates (0: C2 kept every vector in registers). Gemm is package-private and this
 * file runs in the source launcher's class loader, so it is called through a method handle.
 */
public final class GemmBench {
    private static final MethodHandle GEMM = gemmHandle();
    private static final int REPEATS = 9;
    private static final double WARMUP_S = 2.5;

    record Shape(String name, int m, int n, int k, boolean transposed) {
        int aRow() {
            return transposed ? 1 : k;
        }

        int aCol() {
            return transposed ? m : 1;
        }

        double flops() {
            return 2.0 * m * n * k;
        }
    }

    private static final Shape[] SHAPES = {
        new Shape("forward/input grad", 1024, 64, 64, false),
        new Shape("forward/input grad", 1024, 128, 64, false),
        new Shape("forward/input grad", 1024, 192, 64, false),
        new Shape("forward/input grad", 1024, 256, 64, false),
        new Shape("forward/input grad", 1024, 64, 256, false),
        new Shape("input grad", 1024, 64, 128, false),
        new Shape("input grad", 1024, 64, 192, false),
        new Shape("weight grad, A^T", 64, 64, 1024, true),
        new Shape("weight grad, A^T", 64, 256, 1024, true),
        new Shape("weight grad, A^T", 256, 64, 1024, true),
        new Shape("weight grad, A^T", 256, 256, 1024, true),
        new Shape("attention", 8, 8, 64, false),
        new Shape("attention", 8, 64, 8, false),
        new Shape("head", 128, 10, 64, false),
    };

    private static MethodHandle gemmHandle() {
        try {
            Method gemm = Class.forName("org.tlbjava.model.Gemm").getDeclaredMethod("gemm", int.class, int.class, int.class,
                    float[].class, int.class, int.class, int.class, float[].class, int.class, int.class,
                    float[].class, int.class, int.class, boolean.class);
            gemm.setAccessible(true);
            return MethodHandles.lookup().unreflect(gemm);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("org.tlbjava.model.Gemm: is tlb-core/target/classes on -cp?", e);
        }
    }

    /** The arrays of one shape. */
    static final class Data {
        final Shape s;
        final float[] a;
        final float[] b;
        final float[] c;

        Data(Shape s, SplittableRandom random) {
            this.s = s;
            a = randoms(random, s.m * s.k);
            b = randoms(random, s.k * s.n);
            c = new float[s.m * s.n];
        }
    }

    private static float[] randoms(SplittableRandom random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }

    static void vector(Data d) throws Throwable {
        Shape s = d.s;
        GEMM.invokeExact(s.m, s.n, s.k, d.a, 0, s.aRow(), s.aCol(), d.b, 0, s.n, d.c, 0, s.n, false);
    }

    /** The naive loop: C = 0, then for i, p, j: C(i,j) += A(i,p) * B(p,j), as C2 compiles it. */
    static void naive(Data d) {
        Shape s = d.s;
        int m = s.m, n = s.n, k = s.k, aRow = s.aRow(), aCol = s.aCol();
        float[] a = d.a, b = d.b, c = d.c;
        for (int i = 0; i < m; i++) {
            int ci = i * n;
            Arrays.fill(c, ci, ci + n, 0f);
            for (int p = 0; p < k; p++) {
                float x = a[i * aRow + p * aCol];
                int bi = p * n;
                for (int j = 0; j < n; j++) {
                    c[ci + j] += x * b[bi + j];
                }
            }
        }
    }

    interface Kernel {
        void run(Data d) throws Throwable;
    }

    /** Calls per timed batch: about 2 ms of work at 50 GFLOP/s. */
    private static int batch(Shape s) {
        return (int) Math.max(1, Math.min(100_000, 1e8 / s.flops()));
    }

    private static final java.lang.management.ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /**
     * GFLOP/s over calls back to back for at least {@code seconds} of this thread's CPU time (the
     * machine is shared: wall time would count the time other processes hold the core).
     */
    private static double measure(Kernel kernel, Data d, double seconds) throws Throwable {
        int batch = batch(d.s);
        long calls = 0;
        long start = THREADS.getCurrentThreadCpuTime();
        long end = start + (long) (seconds * 1e9);
        long now;
        do {
            for (int r = 0; r < batch; r++) {
                kernel.run(d);
            }
            calls += batch;
            now = THREADS.getCurrentThreadCpuTime();
        } while (now < end);
        return calls * d.s.flops() / (now - start);
    }

    /** Bytes the thread allocates per Gemm call (0 when C2 keeps every vector in registers). */
    private static double allocated(Kernel kernel, Data d) throws Throwable {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().getId();
        int calls = 1000;
        long before = threads.getThreadAllocatedBytes(id);
        for (int r = 0; r < calls; r++) {
            kernel.run(d);
        }
        return (threads.getThreadAllocatedBytes(id) - before) / (double) calls;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    public static void main(String[] args) throws Throwable {
        double repeatS = args.length > 0 ? Double.parseDouble(args[0]) : 0.1;
        String only = args.length > 1 ? args[1] : "";
        SplittableRandom random = new SplittableRandom(42);
        Data[] data = new Data[SHAPES.length];
        int count = 0;
        for (Shape s : SHAPES) {
            if ((s.name + " " + s.m + "x" + s.n + "x" + s.k).contains(only)) {
                data[count++] = new Data(s, random);
            }
        }
        data = Arrays.copyOf(data, count);
        Kernel vector = GemmBench::vector;
        Kernel naive = GemmBench::naive;
        // a correctness spot check, so that a fast wrong kernel does not get reported
        for (Data d : data) {
            naive.run(d);
            float[] want = d.c.clone();
            vector.run(d);
            double max = 0, err = 0;
            for (int i = 0; i < want.length; i++) {
                max = Math.max(max, Math.abs(want[i]));
                err = Math.max(err, Math.abs(want[i] - d.c[i]));
            }
            if (err > 1e-4 * max) {
                throw new AssertionError(d.s + ": Gemm differs from the naive loop by " + err);
            }
        }
        long warmEnd = System.nanoTime() + (long) (WARMUP_S * 1e9);
        while (System.nanoTime() < warmEnd) {
            for (Data d : data) {
                measure(vector, d, 0.02);
                measure(naive, d, 0.02);
            }
        }
        System.out.printf(Locale.ROOT, "Java %s, %s, vector species %s; median of %d x %.2f s of thread CPU time, single thread%n",
                System.getProperty("java.version"), System.getProperty("os.arch"),
                Class.forName("jdk.incubator.vector.FloatVector").getField("SPECIES_PREFERRED").get(null), REPEATS, repeatS);
        System.out.printf(Locale.ROOT, "%-20s %5s %5s %5s %4s %10s %10s %7s %8s%n", "shape", "m", "n", "k", "A^T", "Gemm", "naive", "ratio",
                "B/call");
        for (Data d : data) {
            double[] v = new double[REPEATS];
            double[] nv = new double[REPEATS];
            for (int r = 0; r < REPEATS; r++) {
                v[r] = measure(vector, d, repeatS);
                nv[r] = measure(naive, d, repeatS);
            }
            Shape s = d.s;
            System.out.printf(Locale.ROOT, "%-20s %5d %5d %5d %4s %10.1f %10.1f %6.1fx %8.1f%n", s.name, s.m, s.n, s.k,
                    s.transposed ? "yes" : "no", median(v), median(nv), median(v) / median(nv), allocated(vector, d));
        }
        System.out.println("(GFLOP/s = 2mnk / time)");
    }
}
