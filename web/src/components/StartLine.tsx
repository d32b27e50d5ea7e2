import type { Job, StartVsTrained } from "../api";

/** The start-versus-trained comparison inside a job's metrics (the job's own field may be absent). */
export function startVsTrainedOf(job: Job): StartVsTrained | null {
  if (job.start_vs_trained) return job.start_vs_trained;
  const v = job.metrics?.start_vs_trained as StartVsTrained | null | undefined;
  return v && typeof v === "object" && typeof v.note === "string" ? v : null;
}

/**
 * One line under a video: whether training beat the policy it started from. Where it did not, the video,
 * figures and download are of the start, and this line says so and why.
 */
export function StartLine({ comparison }: { comparison: StartVsTrained | null }) {
  if (!comparison) return null;
  const kept = comparison.kept === "start";
  return (
    <p className={`start-line ${kept ? "kept-start" : "beat-start"}`} data-testid="start-line" role="note">
      {comparison.note}
    </p>
  );
}
