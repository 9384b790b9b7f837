// The client's own events (discomfort ratings, the patient button) as the history pages show
// them: a line in the events table and a labelled mark on the trace.

/** Text for the events table's detail column, by event kind. */
export const CLIENT_EVENT_DETAIL = {
  discomfort: (e) => `${e.level}/10${e.site ? ` at ${e.site}` : ""}${e.side ? ` ${e.side}` : ""}`,
  patient_signal: (e) => (e.source === "relayed" ? "relayed by the therapist" : "patient button"),
};

/** Marks for the trace: ``[{t_s, label}]``. */
export function clientMarks(events) {
  return (events || []).flatMap((e) => {
    if (e.kind === "discomfort") return [{ t_s: e.t_s, label: `Discomfort ${e.level}` }];
    if (e.kind === "patient_signal") return [{ t_s: e.t_s, label: "Client signalled" }];
    return [];
  });
}

export const SENSITIVITY_LABEL = {
  typical: "typical sensitivity", sensitive: "sensitive", very_sensitive: "very sensitive",
};
