package io.sparkdiffusion.spark;

import org.apache.spark.SparkContext;

/**
 * A Spark job group and description for the jobs this thread submits, so that the Spark UI reads like the work
 * ({@code DiffusionTrainer <uid>: round 3/105}) and a user can cancel it with {@code cancelJobGroup(<uid>)}.
 * Opening one saves the caller's group, description and interrupt flag; {@link #close} puts them back, so a
 * user's own job group around a fit is left as it was.
 */
public final class JobGroup implements AutoCloseable {
    static final String GROUP_ID = "spark.jobGroup.id";
    static final String DESCRIPTION = "spark.job.description";
    static final String INTERRUPT_ON_CANCEL = "spark.job.interruptOnCancel";

    private final SparkContext sc;
    private final String group;
    private final String previousGroup;
    private final String previousDescription;
    private final String previousInterrupt;

    private JobGroup(SparkContext sc, String group, String description) {
        this.sc = sc;
        this.group = group;
        previousGroup = sc.getLocalProperty(GROUP_ID);
        previousDescription = sc.getLocalProperty(DESCRIPTION);
        previousInterrupt = sc.getLocalProperty(INTERRUPT_ON_CANCEL);
        describe(description);
    }

    /**
     * Puts this thread's next jobs into group {@code group} (a stage's uid) with {@code description}; cancelling
     * the group interrupts their tasks.
     */
    public static JobGroup open(SparkContext sc, String group, String description) {
        return new JobGroup(sc, group, description);
    }

    /** Changes the description of the group's next jobs. */
    public void describe(String description) {
        sc.setJobGroup(group, description, true);
    }

    @Override
    public void close() {
        sc.setLocalProperty(GROUP_ID, previousGroup);
        sc.setLocalProperty(DESCRIPTION, previousDescription);
        sc.setLocalProperty(INTERRUPT_ON_CANCEL, previousInterrupt);
    }
}
