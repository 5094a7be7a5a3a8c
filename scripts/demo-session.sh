#!/usr/bin/env bash
# A complete NIC API session with nothing but curl, openssl and jq-free shell: log in, generate an
# IRN, fetch it, cancel it. Run it against `irp serve` (it reads ./irp-data/sandbox.json).
#   bash scripts/demo-session.sh [http://127.0.0.1:8080] [./irp-data]
set -euo pipefail
BASE=${1:-http://127.0.0.1:8080}
DATA=${2:-./irp-data}
json_field() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }

SANDBOX=$(cat "$DATA/sandbox.json")
CLIENT_ID=$(echo "$SANDBOX" | json_field "['client_id']")
CLIENT_SECRET=$(echo "$SANDBOX" | json_field "['client_secret']")
GSTIN=29LARGE1000C1ZK
USER=$(echo "$SANDBOX" | python3 -c "import json,sys; print([u['username'] for u in json.load(sys.stdin)['users'] if u['gstin']=='$GSTIN'][0])")
PASSWORD=$(echo "$SANDBOX" | python3 -c "import json,sys; print([u['password'] for u in json.load(sys.stdin)['users'] if u['gstin']=='$GSTIN'][0])")
PUBKEY=$(echo "$SANDBOX" | json_field "['auth_public_key_pem']")

# 1. Log in: base64(JSON) encrypted with the auth public key (RSA PKCS#1 v1.5), then base64.
APPKEY_HEX=$(openssl rand -hex 32)
APPKEY_B64=$(echo -n "$APPKEY_HEX" | xxd -r -p | base64 -w0)
LOGIN=$(printf '{"UserName":"%s","Password":"%s","AppKey":"%s","ForceRefreshAccessToken":false}' "$USER" "$PASSWORD" "$APPKEY_B64")
DATA_FIELD=$(echo -n "$LOGIN" | base64 -w0 | openssl pkeyutl -encrypt -pubin -inkey "$PUBKEY" -pkeyopt rsa_padding_mode:pkcs1 | base64 -w0)
AUTH=$(curl -s -X POST "$BASE/eivital/v1.04/auth" -H "client_id: $CLIENT_ID" -H "client_secret: $CLIENT_SECRET" \
    -H "Gstin: $GSTIN" -H 'Content-Type: application/json' -d "{\"Data\":\"$DATA_FIELD\"}")
echo "auth: $AUTH"
TOKEN=$(echo "$AUTH" | json_field "['Data']['AuthToken']")
# The SEK comes back encrypted under the AppKey (AES-256-ECB).
SEK_HEX=$(echo "$AUTH" | json_field "['Data']['Sek']" | base64 -d | openssl enc -d -aes-256-ecb -K "$APPKEY_HEX" | xxd -p -c 64)

encrypt() { openssl enc -aes-256-ecb -K "$SEK_HEX" | base64 -w0; }
decrypt() { base64 -d | openssl enc -d -aes-256-ecb -K "$SEK_HEX"; }
call() { # method path [plaintext body]
    local headers=(-H "client_id: $CLIENT_ID" -H "client_secret: $CLIENT_SECRET" -H "Gstin: $GSTIN" -H "user_name: $USER" -H "AuthToken: $TOKEN")
    if [ $# -ge 3 ]; then
        curl -s -X "$1" "$BASE$2" "${headers[@]}" -H 'Content-Type: application/json' -d "{\"Data\":\"$(echo -n "$3" | encrypt)\"}"
    else
        curl -s -X "$1" "$BASE$2" "${headers[@]}"
    fi
}
show() { local reply; reply=$(cat); echo "${reply:0:150}…"; local data; data=$(echo "$reply" | json_field "['Data']"); [ "$data" != None ] && echo "  Data: $(echo "$data" | decrypt | head -c 300)…"; }

# 2. Generate an IRN.
TODAY=$(TZ=Asia/Kolkata date +%d/%m/%Y)
NUMBER="DEMO/$(date +%s)"
INVOICE=$(cat <<JSON
{"Version":"1.1","TranDtls":{"TaxSch":"GST","SupTyp":"B2B"},"DocDtls":{"Typ":"INV","No":"$NUMBER","Dt":"$TODAY"},
 "SellerDtls":{"Gstin":"$GSTIN","LglNm":"Sandbox Large 29","Addr1":"1 MG Road","Loc":"Bengaluru","Pin":560001,"Stcd":"29"},
 "BuyerDtls":{"Gstin":"29AWGPV7107B1Z1","LglNm":"XYZ company pvt ltd","Pos":"29","Addr1":"7th block","Loc":"Bengaluru","Pin":562160,"Stcd":"29"},
 "ItemList":[{"SlNo":"1","IsServc":"N","HsnCd":"61091000","Qty":10,"Unit":"NOS","UnitPrice":100.0,"TotAmt":1000,"AssAmt":1000,"GstRt":5,"CgstAmt":25,"SgstAmt":25,"TotItemVal":1050}],
 "ValDtls":{"AssVal":1000,"CgstVal":25,"SgstVal":25,"TotInvVal":1050}}
JSON
)
echo; echo "generate:"; GENERATED=$(call POST /eicore/v1.03/Invoice "$INVOICE"); echo "$GENERATED" | show
IRN=$(echo "$GENERATED" | json_field "['Data']" | decrypt | json_field "['Irn']")
echo; echo "generate again (duplicate):"; call POST /eicore/v1.03/Invoice "$INVOICE"; echo
echo; echo "get by IRN:"; call GET "/eicore/v1.03/Invoice/irn/$IRN" | show
echo; echo "cancel:"; call POST /eicore/v1.03/Invoice/Cancel "{\"Irn\":\"$IRN\",\"CnlRsn\":\"2\",\"CnlRem\":\"Demo\"}" | show
echo; echo "cancel again:"; call POST /eicore/v1.03/Invoice/Cancel "{\"Irn\":\"$IRN\",\"CnlRsn\":\"2\"}"; echo
