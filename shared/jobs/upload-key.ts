/**
 * Job isolation on AWS. A job is uploaded as `s3://<input bucket>/jobs/<jobId>/job.json`
 * (the trigger rule's key pattern), so its upload key names it: the router's Validate
 * refuses a job.json whose `jobId` differs (`InvalidJobSpec`), and the failure recorder
 * writes the error of such a job under the key's id, never under the id the file claims —
 * an uploader cannot touch another job's results by naming its id.
 */
import { JOB_ID } from './spec.ts';

const UPLOAD_KEY = /^s3:\/\/[^/]+\/jobs\/([^/]+)\/job\.json$/;

/** The jobId an upload key `s3://<bucket>/jobs/<jobId>/job.json` names; undefined for any other URI (local runs). */
export function uploadJobId(jobUri: string): string | undefined {
  const m = typeof jobUri === 'string' ? UPLOAD_KEY.exec(jobUri) : null;
  return m && JOB_ID.test(m[1]!) ? m[1] : undefined;
}

/** The upload folder prefix `jobs/<jobId>/` of a job folder URI `s3://<bucket>/jobs/<jobId>/…`, if it is one. */
export function uploadFolderOf(uri: string): { bucket: string; jobId: string; prefix: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/jobs\/([^/]+)\//.exec(uri);
  return m ? { bucket: m[1]!, jobId: m[2]!, prefix: `jobs/${m[2]}/` } : undefined;
}

/**
 * The job a URI in an upload area names: `s3://<bucket>/jobs/<jobId>/…` names <jobId> however deep
 * the key (the trigger rule's `jobs/*\/job.json` matches nested keys too), never the id a job.json
 * inside it claims; 'invalid-job' when the folder is not a safe id; undefined outside any `jobs/` folder.
 */
export function uploadAreaJobId(uri: string): string | undefined {
  const folder = uploadFolderOf(uri);
  if (!folder) return undefined;
  return JOB_ID.test(folder.jobId) ? folder.jobId : 'invalid-job';
}
