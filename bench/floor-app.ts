// The floor for bench/synth.ts: one bucket, same CDK, same flags, same runner.
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

const app = new App();
new s3.Bucket(new Stack(app, 'Floor'), 'Bucket');
