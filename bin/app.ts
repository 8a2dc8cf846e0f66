#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, parseConfig } from '../lib/config';
import { buildLake } from '../lib/lake';

const app = new App();
try {
  buildLake(app, parseConfig(app.node.getAllContext()));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`Configuration error: ${err.message}`);
  process.exit(1);
}
