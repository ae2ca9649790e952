#!/usr/bin/env node
import { main } from '../dist/bin/workflow.js';

await main('mailbox');
