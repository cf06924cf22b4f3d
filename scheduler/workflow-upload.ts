import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import { AIFlowError } from '../protocol/errors.ts';
import type { UploadFormat } from '../protocol/scheduler-methods.ts';
import { bundleFileName, bundleWorkflowModule } from '../workflow/bundle.ts';
import { loadWorkflowsIsolated } from '../workflow/loader.ts';
import { snapshotModule } from './snapshot-files.ts';
import type { MetadataStore } from './store/metadata-store.ts';
import type { WorkflowCatalog } from './workflow-catalog.ts';

/** What an upload needs of the scheduler. */
export interface UploadTarget {
  readonly store: MetadataStore;
  readonly catalog: WorkflowCatalog;
  readonly dataDir: string;
}

/** What `workflow.upload` carries, as validated by its declaration (`protocol/scheduler-methods.ts`). */
export interface UploadRequest {
  /** The uploaded module's file name (`flow.ts`); the snapshot stores its artifact as `flow.mjs`. */
  fileName: string;
  source: string;
  format: UploadFormat;
}

/**
 * Loads the artifact in an isolated process (never in the scheduler), then stores one snapshot per workflow, each
 * with the artifact as its source: tasks and conditions run that, never the files it came from.
 */
export async function uploadWorkflows(target: UploadTarget, request: UploadRequest) {
  const dir = join(target.dataDir, 'uploads', randomUUID());
  mkdirSync(dir, { recursive: true });
  // Under the data folder, so the artifact's `import 'aiflow-mqtt/workflow'` resolves as it will for tasks.
  snapshotModule(target.dataDir, { id: 0, fileName: 'link.ts', source: '' });
  try {
    const artifact = request.format === 'bundle' ? request.source : await bundleUploaded(dir, request);
    const fileName = bundleFileName(request.fileName);
    const file = join(dir, fileName);
    writeFileSync(file, artifact);
    const specs = await loadWorkflowsIsolated(file).catch((error: unknown) => {
      throw withoutFolder(aboutModule(error, file, basename(request.fileName)), join(dir, MODULE_FOLDER));
    });
    const namespaces = new Set((await target.store.listNamespaces()).map((n) => n.name));
    for (const spec of specs) {
      if (!namespaces.has(spec.namespace)) {
        throw new AIFlowError(
          'NOT_FOUND',
          `namespace ${spec.namespace} of workflow ${spec.name} does not exist; add it with \`aiflow namespace add ${spec.namespace}\``,
        );
      }
    }
    const saved = [];
    for (const spec of specs) {
      const { workflow, snapshot } = await target.store.saveUpload({ fileName, source: artifact, spec });
      await target.catalog.replaceModuleTriggers(workflow, spec.triggers ?? []);
      saved.push({
        namespace: workflow.namespace,
        name: workflow.name,
        workflowId: workflow.id,
        snapshotId: snapshot.id,
        tasks: spec.tasks.length,
      });
    }
    return saved;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Where an earlier client's single module is written to be bundled here. */
const MODULE_FOLDER = 'module';

/** An earlier client's single module, bundled here, in a folder of its own. */
async function bundleUploaded(dir: string, request: UploadRequest): Promise<string> {
  const moduleDir = join(dir, MODULE_FOLDER);
  mkdirSync(moduleDir);
  const file = join(moduleDir, basename(request.fileName));
  writeFileSync(file, request.source);
  return bundleWorkflowModule(file);
}

/**
 * A reason about the artifact as a whole (`<artifact>: exports no Workflow`) names the uploaded module instead of
 * a temporary file on the server. A reason with a line keeps its path: source maps already turned it into the
 * user's file, and a line of the artifact itself must not be shown as a line of the module.
 */
function aboutModule(error: unknown, artifact: string, fileName: string): unknown {
  if (!(error instanceof AIFlowError) || !error.message.startsWith(`${artifact}: `)) return error;
  return new AIFlowError(error.code, fileName + error.message.slice(artifact.length), { cause: error });
}

/**
 * The reason with the server's temporary folder of an earlier client's module taken out: its source map names the
 * module there, and the requester must see its own file name (`flow.ts:3:5: …`), never where the server keeps it.
 */
function withoutFolder(error: unknown, folder: string): unknown {
  if (!(error instanceof AIFlowError)) return error;
  const message = error.message
    .replaceAll(`${pathToFileURL(folder).href}/`, '')
    .replaceAll(`${folder}${sep}`, '');
  return message === error.message ? error : new AIFlowError(error.code, message, { cause: error });
}
