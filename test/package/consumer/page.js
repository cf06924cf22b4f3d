// A web page's script: bundled for the browser from the client package alone.
import { AIFlowNotificationClient } from '@aiflow-mqtt/client';
import { Workflow } from '@aiflow-mqtt/client/workflow';

globalThis.aiflow = { AIFlowNotificationClient, Workflow };
