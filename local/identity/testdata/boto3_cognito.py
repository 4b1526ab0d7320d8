"""Drives the local Cognito user pools service through boto3.

Usage: boto3_cognito.py ENDPOINT CONFIRMATION_CODE
Exits non-zero on any mismatch.
"""
import base64
import json
import sys

import boto3

endpoint, code = sys.argv[1], sys.argv[2]
idp = boto3.client("cognito-idp", endpoint_url=endpoint, region_name="us-east-1")


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


pool = idp.create_user_pool(PoolName="boto", AutoVerifiedAttributes=["email"])["UserPool"]
pool_id = pool["Id"]
assert pool_id.startswith("us-east-1_"), pool
client_id = idp.create_user_pool_client(
    UserPoolId=pool_id,
    ClientName="web",
    ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
)["UserPoolClient"]["ClientId"]

# Self-service sign-up and confirmation.
up = idp.sign_up(
    ClientId=client_id,
    Username="hatchling",
    Password="Hatch!ing1",
    UserAttributes=[{"Name": "email", "Value": "h@example.com"}],
)
assert up["UserConfirmed"] is False and up["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL", up
try:
    idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "hatchling", "PASSWORD": "Hatch!ing1"},
    )
    raise SystemExit("unconfirmed user signed in")
except idp.exceptions.UserNotConfirmedException:
    pass
try:
    idp.confirm_sign_up(ClientId=client_id, Username="hatchling", ConfirmationCode="999999")
    raise SystemExit("wrong code accepted")
except idp.exceptions.CodeMismatchException:
    pass
idp.confirm_sign_up(ClientId=client_id, Username="hatchling", ConfirmationCode=code)

auth = idp.initiate_auth(
    ClientId=client_id,
    AuthFlow="USER_PASSWORD_AUTH",
    AuthParameters={"USERNAME": "hatchling", "PASSWORD": "Hatch!ing1"},
)["AuthenticationResult"]
id_claims = claims(auth["IdToken"])
assert id_claims["aud"] == client_id and id_claims["token_use"] == "id", id_claims
assert id_claims["iss"] == endpoint + "/" + pool_id and id_claims["email_verified"] is True, id_claims

me = idp.get_user(AccessToken=auth["AccessToken"])
assert me["Username"] == "hatchling", me

again = idp.initiate_auth(
    ClientId=client_id,
    AuthFlow="REFRESH_TOKEN_AUTH",
    AuthParameters={"REFRESH_TOKEN": auth["RefreshToken"]},
)["AuthenticationResult"]
assert "RefreshToken" not in again and claims(again["AccessToken"])["username"] == "hatchling", again

# Administrator-created user with the NEW_PASSWORD_REQUIRED challenge.
idp.admin_create_user(
    UserPoolId=pool_id, Username="knight", TemporaryPassword="Temp!pass1", MessageAction="SUPPRESS"
)
ch = idp.initiate_auth(
    ClientId=client_id,
    AuthFlow="USER_PASSWORD_AUTH",
    AuthParameters={"USERNAME": "knight", "PASSWORD": "Temp!pass1"},
)
assert ch["ChallengeName"] == "NEW_PASSWORD_REQUIRED", ch
done = idp.respond_to_auth_challenge(
    ClientId=client_id,
    ChallengeName="NEW_PASSWORD_REQUIRED",
    Session=ch["Session"],
    ChallengeResponses={"USERNAME": "knight", "NEW_PASSWORD": "Final!pass1"},
)
assert claims(done["AuthenticationResult"]["IdToken"])["cognito:username"] == "knight", done
assert idp.admin_get_user(UserPoolId=pool_id, Username="knight")["UserStatus"] == "CONFIRMED"

try:
    idp.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "knight", "PASSWORD": "Wrong!pass1"},
    )
    raise SystemExit("wrong password accepted")
except idp.exceptions.NotAuthorizedException as e:
    assert e.response["Error"]["Message"] == "Incorrect username or password.", e.response
try:
    idp.admin_get_user(UserPoolId=pool_id, Username="nobody")
    raise SystemExit("unknown user found")
except idp.exceptions.UserNotFoundException:
    pass
try:
    idp.describe_user_pool(UserPoolId="us-east-1_missing00")
    raise SystemExit("unknown pool found")
except idp.exceptions.ResourceNotFoundException:
    pass

print("boto3 cognito ok")
