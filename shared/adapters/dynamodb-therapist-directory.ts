/**
 * The therapist directory on DynamoDB (TherapistDirectory for the alert and the inbound adapters,
 * TherapistRegistry for the request function and `alliance therapists`): one item per therapist
 * (./items/therapist.ts). The list is a scan: the CLI runs it a few times a year, and an index for
 * it would cost a write unit on every item of every client.
 */
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AlertKind } from '../events/contracts.ts';
import type { DirectoryEntry, RegisteredTherapist, TherapistRegisteredBy, TherapistRegistry } from '../use-cases/ports.ts';
import { getDocumentClient, sendUnlessConditionFails } from './dynamodb-table.ts';
import * as therapistItem from './items/therapist.ts';

export class DynamoDbTherapistDirectory implements TherapistRegistry {
  constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = getDocumentClient(),
  ) {}

  async find(therapistId: string): Promise<DirectoryEntry | undefined> {
    const result = await this.client.send(new GetCommand({ TableName: this.tableName, ...therapistItem.get(therapistId) }));
    return therapistItem.fromItem(result.Item);
  }

  async registerIfAbsent(therapist: RegisteredTherapist, registeredAt: string, registeredBy: TherapistRegisteredBy): Promise<boolean> {
    return sendUnlessConditionFails(this.client, new PutCommand({ TableName: this.tableName, ...therapistItem.registerIfAbsent(therapist, registeredAt, registeredBy) }));
  }

  async save(therapist: RegisteredTherapist, now: string): Promise<void> {
    await this.client.send(new UpdateCommand({ TableName: this.tableName, ...therapistItem.save(therapist, now) }));
  }

  async list(): Promise<DirectoryEntry[]> {
    const entries: DirectoryEntry[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.tableName, ...therapistItem.scanAll(), ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) {
        const entry = therapistItem.fromItem(item);
        if (entry) entries.push(entry);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return entries.sort((a, b) => a.therapistId.localeCompare(b.therapistId));
  }

  async remove(therapistId: string): Promise<boolean> {
    const result = await this.client.send(new DeleteCommand({ TableName: this.tableName, ...therapistItem.remove(therapistId) }));
    return result.Attributes !== undefined;
  }

  async setSupervisor(therapistId: string, supervisor: { supervisorId: string; superviseKinds?: readonly AlertKind[] | undefined } | undefined, now: string): Promise<boolean> {
    return this.updateIfRegistered(therapistItem.setSupervisor(therapistId, supervisor, now));
  }

  async setCovering(therapistId: string, covering: { therapistId: string; from: string; until: string } | undefined, now: string): Promise<boolean> {
    return this.updateIfRegistered(therapistItem.setCovering(therapistId, covering, now));
  }

  private async updateIfRegistered(request: ReturnType<typeof therapistItem.setCovering>): Promise<boolean> {
    return sendUnlessConditionFails(this.client, new UpdateCommand({ TableName: this.tableName, ...request }));
  }
}
