// UserService over gRPC: validates each request, calls the domain, maps the answer to proto.
import { z } from 'zod';
import {
  RiderStatus as ProtoRiderStatus,
  type ApiClient as ProtoApiClient,
  type Rider as ProtoRider,
  type UserServiceServer,
} from '../../../platform/src/generated/ecowheels/user/v1/user_service';
import type { AsyncHandlers } from '../../../platform/src/grpc/server';
import { batchIdsField, parseRequest, uuidField } from '../../../platform/src/grpc/validation';
import type { AccessTokenIssuer } from '../domain/access-tokens';
import { API_CLIENT_SCOPES, type ApiClient, type ApiClientRegistry } from '../domain/api-clients';
import { riderFields, type Rider } from '../domain/rider';
import type { RiderAccounts } from '../domain/rider-accounts';

const toProtoRider = (rider: Rider): ProtoRider => ({
  id: rider.id,
  email: rider.email,
  displayName: rider.displayName,
  status: rider.status === 'ACTIVE' ? ProtoRiderStatus.RIDER_STATUS_ACTIVE : ProtoRiderStatus.RIDER_STATUS_SUSPENDED,
  verified: rider.verified,
  createTime: rider.createdAt,
  updateTime: rider.updatedAt,
});

const toProtoApiClient = (client: ApiClient): ProtoApiClient => ({
  id: client.id,
  name: client.name,
  keyPrefix: client.keyPrefix,
  active: client.active,
  createTime: client.createdAt,
  scopes: client.scopes,
});

const riderIdRequest = z.object({ riderId: uuidField });
const { displayName } = riderFields;

const schemas = {
  createRider: z.object(riderFields),
  updateRiderStatus: z.object({
    riderId: uuidField,
    status: z.union([z.literal(ProtoRiderStatus.RIDER_STATUS_ACTIVE), z.literal(ProtoRiderStatus.RIDER_STATUS_SUSPENDED)], {
      error: 'must be RIDER_STATUS_ACTIVE or RIDER_STATUS_SUSPENDED',
    }),
    reason: z.string().trim().min(1, 'must say why').max(500, 'must be at most 500 characters'),
  }),
  login: z.object({ email: z.string().min(1, 'is required'), password: z.string().min(1, 'is required') }),
  createApiClient: z.object({
    name: displayName,
    scopes: z.array(z.enum(API_CLIENT_SCOPES, { error: `must each be one of: ${API_CLIENT_SCOPES.join(', ')}` })),
  }),
  validateApiKey: z.object({ apiKey: z.string().min(1, 'is required').max(200, 'is too long to be a key') }),
  revokeApiClient: z.object({ apiClientId: uuidField }),
};

export function userHandlers(
  riders: RiderAccounts,
  apiClients: ApiClientRegistry,
  tokens: AccessTokenIssuer,
): AsyncHandlers<UserServiceServer> {
  return {
    async createRider(request) {
      const input = parseRequest(schemas.createRider, request);
      return { rider: toProtoRider(await riders.register(input)) };
    },
    async getRider(request) {
      const { riderId } = parseRequest(riderIdRequest, request);
      return { rider: toProtoRider(await riders.get(riderId)) };
    },
    async batchGetRiders(request) {
      const { riderIds } = parseRequest(z.object({ riderIds: batchIdsField }), request);
      return { riders: (await riders.getMany(riderIds)).map(toProtoRider) };
    },
    async verifyRider(request) {
      const { riderId } = parseRequest(riderIdRequest, request);
      return { rider: toProtoRider(await riders.verifyMayRide(riderId)) };
    },
    async confirmRiderIdentity(request) {
      const { riderId } = parseRequest(riderIdRequest, request);
      return { rider: toProtoRider(await riders.confirmIdentity(riderId)) };
    },
    async updateRiderStatus(request) {
      const { riderId, status, reason } = parseRequest(schemas.updateRiderStatus, request);
      const domainStatus = status === ProtoRiderStatus.RIDER_STATUS_ACTIVE ? 'ACTIVE' : 'SUSPENDED';
      return { rider: toProtoRider(await riders.setStatus(riderId, domainStatus, reason)) };
    },
    async loginRider(request) {
      const { email, password } = parseRequest(schemas.login, request);
      const { rider, token } = await riders.login(email, password);
      return { accessToken: token.token, expireTime: token.expiresAt, rider: toProtoRider(rider) };
    },
    async getTokenVerificationKeys() {
      const { issuer, audience } = tokens.settings;
      return { jwksJson: JSON.stringify(tokens.jwks()), issuer, audience };
    },
    async createApiClient(request) {
      const { name, scopes } = parseRequest(schemas.createApiClient, request);
      const { client, key } = await apiClients.register(name, scopes);
      return { apiClient: toProtoApiClient(client), apiKey: key };
    },
    async validateApiKey(request) {
      const { apiKey } = parseRequest(schemas.validateApiKey, request);
      return { apiClient: toProtoApiClient(await apiClients.validate(apiKey)) };
    },
    async revokeApiClient(request) {
      const { apiClientId } = parseRequest(schemas.revokeApiClient, request);
      return { apiClient: toProtoApiClient(await apiClients.revoke(apiClientId)) };
    },
  };
}
