// Long-running work shown in the status bar: progress, ETA and a cancel button.
import { createStore } from 'zustand/vanilla'
import { useStore } from 'zustand'

export interface Job {
  id: string
  label: string
  /** 0..1, or undefined while indeterminate. */
  fraction?: number
  detail?: string
  etaSeconds?: number
  cancel?: () => void
}

interface JobsState {
  jobs: Job[]
  upsert(job: Job): void
  remove(id: string): void
}

export const jobsStore = createStore<JobsState>()((set) => ({
  jobs: [],
  upsert: (job) =>
    set((s) => {
      const i = s.jobs.findIndex((j) => j.id === job.id)
      if (i < 0) return { jobs: [...s.jobs, job] }
      const jobs = [...s.jobs]
      jobs[i] = job
      return { jobs }
    }),
  remove: (id) => set((s) => ({ jobs: s.jobs.filter((j) => j.id !== id) })),
}))

export const useJobs = <T,>(selector: (s: JobsState) => T) => useStore(jobsStore, selector)
